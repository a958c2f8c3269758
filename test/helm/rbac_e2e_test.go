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
// Lease are named scopedFullname. routesRelease watches team-a and may
// split VirtualServices in gatewayNamespace, which it does not watch
// (virtualservice-namespaces.yaml); its objects are named routesFullname.
const (
	scopedRelease    = "scoped"
	scopedFullname   = "scoped-meshcanary"
	routesRelease    = "routes"
	routesFullname   = "routes-meshcanary"
	gatewayNamespace = "istio-system"
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

// checkVirtualServiceNamespaces proves the RBAC of virtualServiceNamespaces
// on the API server: in a namespace the controller may split routes in
// but does not watch, its ServiceAccount may get, list, watch and update
// VirtualServices and nothing else — neither create or delete them nor
// touch another kind there — and it may not update VirtualServices of a
// namespace that is neither watched nor allowed.
func checkVirtualServiceNamespaces(t *testing.T, c *cluster.Cluster) {
	sa := serviceAccount(t, c, routesFullname)
	const istio = "networking.istio.io"
	tests := map[string]struct {
		verb, group, resource, ns string
		want                      bool
	}{
		"it gets virtualservices in the allowed namespace":      {"get", istio, "virtualservices", gatewayNamespace, true},
		"it lists virtualservices in the allowed namespace":     {"list", istio, "virtualservices", gatewayNamespace, true},
		"it watches virtualservices in the allowed namespace":   {"watch", istio, "virtualservices", gatewayNamespace, true},
		"it updates virtualservices in the allowed namespace":   {"update", istio, "virtualservices", gatewayNamespace, true},
		"it cannot create virtualservices there":                {"create", istio, "virtualservices", gatewayNamespace, false},
		"it cannot delete virtualservices there":                {"delete", istio, "virtualservices", gatewayNamespace, false},
		"it cannot patch virtualservices there":                 {"patch", istio, "virtualservices", gatewayNamespace, false},
		"it cannot update destinationrules there":               {"update", istio, "destinationrules", gatewayNamespace, false},
		"it cannot list destinationrules there":                 {"list", istio, "destinationrules", gatewayNamespace, false},
		"it cannot update deployments there":                    {"update", "apps", "deployments", gatewayNamespace, false},
		"it cannot list services there":                         {"list", "", "services", gatewayNamespace, false},
		"it cannot update virtualservices in another namespace": {"update", istio, "virtualservices", "team-b", false},
		"it cannot list virtualservices in another namespace":   {"list", istio, "virtualservices", "default", false},
		"it cannot update virtualservices cluster-wide":         {"update", istio, "virtualservices", "", false},
		"it still writes virtualservices in its watched one":    {"update", istio, "virtualservices", "team-a", true},
		"it still writes destinationrules in its watched one":   {"update", istio, "destinationrules", "team-a", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := can(t, sa, tc.verb, tc.group, tc.resource, tc.ns, ""); got != tc.want {
				t.Errorf("%s %s in namespace %q: allowed %t, want %t", tc.verb, tc.resource, tc.ns, got, tc.want)
			}
		})
	}
}
