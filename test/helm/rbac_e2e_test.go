//go:build e2e

package helm

import (
	"context"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshcanary/meshcanary/test/cluster"
)

// scopedRelease is the namespaced install; its objects, ServiceAccount and
// Lease are named scopedFullname.
const (
	scopedRelease  = "scoped"
	scopedFullname = "scoped-meshcanary"
)

// serviceAccount returns a client authenticated as the ServiceAccount
// account that the chart installed in the release namespace.
func serviceAccount(t *testing.T, c *cluster.Cluster, account string) kubernetes.Interface {
	t.Helper()
	cfg, err := c.ServiceAccountConfig(context.Background(), releaseNamespace, account)
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(cfg)
}

// can asks the apiserver whether client may do verb on resource (group
// "" unless given as resource.group) in ns, optionally on one name.
func can(t *testing.T, client kubernetes.Interface, verb, group, resource, ns, name string) bool {
	t.Helper()
	review, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(),
		&authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: verb, Group: group, Resource: resource, Namespace: ns, Name: name,
			},
		}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SelfSubjectAccessReview: %v", err)
	}
	return review.Status.Allowed
}

func checkNoSecrets(t *testing.T, c *cluster.Cluster, k *kube) {
	ctx := context.Background()
	for _, ns := range []string{"team-a", releaseNamespace} {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db-password"}, StringData: map[string]string{"password": "hunter2"}}
		if _, err := k.client.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, account := range []string{releaseName, scopedFullname} {
		t.Run(account, func(t *testing.T) {
			sa := serviceAccount(t, c, account)
			// The token works: the account may do its job in team-a.
			if _, err := sa.AppsV1().Deployments("team-a").List(ctx, metav1.ListOptions{}); err != nil {
				t.Fatalf("list deployments in team-a: %v", err)
			}
			for _, ns := range []string{"team-a", releaseNamespace} {
				_, err := sa.CoreV1().Secrets(ns).Get(ctx, "db-password", metav1.GetOptions{})
				if !apierrors.IsForbidden(err) {
					t.Errorf("get secret %s/db-password: %v, want Forbidden", ns, err)
				}
			}
			if _, err := sa.CoreV1().Secrets("").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
				t.Errorf("list secrets cluster-wide: %v, want Forbidden", err)
			}
			for _, verb := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
				for _, ns := range []string{"", "team-a", releaseNamespace} {
					if can(t, sa, verb, "", "secrets", ns, "") {
						t.Errorf("may %s secrets in namespace %q", verb, ns)
					}
				}
			}
		})
	}
}

func checkScoped(t *testing.T, c *cluster.Cluster) {
	sa := serviceAccount(t, c, scopedFullname)
	tests := map[string]struct {
		verb, group, resource, ns, name string
		want                            bool
	}{
		"it updates deployments in a watched namespace":   {"update", "apps", "deployments", "team-b", "", true},
		"it cannot list deployments in another namespace": {"list", "apps", "deployments", "default", "", false},
		"it cannot list deployments cluster-wide":         {"list", "apps", "deployments", "", "", false},
		"it writes virtualservices in a watched namespace": {
			"update", "networking.istio.io", "virtualservices", "team-a", "", true},
		"it cannot delete pods anywhere":                   {"delete", "", "pods", "team-a", "", false},
		"it may create its Lease in the release namespace": {"create", "coordination.k8s.io", "leases", releaseNamespace, "", true},
		"it may renew its own Lease":                       {"update", "coordination.k8s.io", "leases", releaseNamespace, scopedFullname, true},
		"it may not touch another Lease":                   {"update", "coordination.k8s.io", "leases", releaseNamespace, "other", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := can(t, sa, tc.verb, tc.group, tc.resource, tc.ns, tc.name); got != tc.want {
				t.Errorf("allowed %t, want %t", got, tc.want)
			}
		})
	}
}
