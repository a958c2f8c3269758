//go:build e2e

package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// TestLocalCluster starts one cluster with two nodes and Prometheus and checks,
// each in a subtest, what the end-to-end suite relies on.
func TestLocalCluster(t *testing.T) {
	c := StartForTest(t, Options{Nodes: 2, Prometheus: &PrometheusOptions{}})
	client := kubernetes.NewForConfigOrDie(c.AdminConfig())
	checks := map[string]func(*testing.T, *Cluster, kubernetes.Interface){
		"a Deployment gets Ready pods on kwok nodes and a new template rolls out": checkDeploymentRollout,
		"Istio's CRDs are served in v1, v1beta1 and v1alpha3":                     checkIstioCRDsServed,
		"Istio's webhook accepts valid and rejects invalid VirtualServices":       checkVirtualServiceValidation,
		"Istio's webhook accepts valid and rejects invalid DestinationRules":      checkDestinationRuleValidation,
		"Prometheus scrapes a loopback target":                                    checkPrometheusScrapes,
		"a service account config authenticates as that account under RBAC":       checkServiceAccountConfig,
		"ApplyCRDs applies a file of CRDs and refuses one with another kind":      checkApplyCRDs,
		"the apiserver reports the Kubernetes release tools/kube pins":            checkServerVersion,
	}
	for name, check := range checks {
		t.Run(name, func(t *testing.T) { check(t, c, client) })
	}
}

// TestStopLeavesNoProcess checks that cancelling Start's context stops every
// process of the cluster, process groups included.
func TestStopLeavesNoProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := Start(ctx, Options{Name: "TestStopLeavesNoProcess", Prometheus: &PrometheusOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	var pids []int
	for _, tier := range c.tiers {
		for _, p := range tier {
			pids = append(pids, p.Pid())
		}
	}
	if len(pids) != 7 {
		t.Fatalf("got %d processes, want 7 (etcd, prometheus, apiserver, webhook, controller-manager, scheduler, kwok)", len(pids))
	}
	began := time.Now()
	cancel()
	select {
	case <-c.stopped:
	case <-time.After(time.Minute):
		t.Fatal("cluster still running a minute after its context was cancelled")
	}
	t.Logf("stopped in %s", time.Since(began).Round(time.Millisecond))
	for _, pid := range pids {
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process group %d still exists after Stop (kill: %v)", pid, err)
		}
	}
}

func checkDeploymentRollout(t *testing.T, c *Cluster, client kubernetes.Interface) {
	ctx := t.Context()
	ns := CreateNamespace(t, client, "rollout-")
	labels := map[string]string{"app": "web"}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "example.com/web:v1"}}},
			},
		},
	}
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, deploy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, client, ns, "web", 3)
	checkPodsRunningOnNodes(t, client, ns, c.Nodes)

	patch := `{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"example.com/web:v2"}]}}}}`
	if _, err := client.AppsV1().Deployments(ns).Patch(ctx, "web", "application/strategic-merge-patch+json",
		[]byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitRolledOut(t, client, ns, "web", 3)
	sets, err := client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int32{}
	for _, rs := range sets.Items {
		got[rs.Spec.Template.Spec.Containers[0].Image] = *rs.Spec.Replicas
	}
	want := map[string]int32{"example.com/web:v1": 0, "example.com/web:v2": 3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("replicas per ReplicaSet image after the new template (-want +got):\n%s", diff)
	}
}

// waitRolledOut waits until the Deployment's current template has all replicas
// Ready and no old pod is left.
func waitRolledOut(t *testing.T, client kubernetes.Interface, ns, name string, replicas int32) {
	t.Helper()
	Eventually(t, time.Minute, "the rollout of "+ns+"/"+name, func(ctx context.Context) error {
		d, err := client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		s := d.Status
		if s.ObservedGeneration != d.Generation || s.UpdatedReplicas != replicas ||
			s.ReadyReplicas != replicas || s.Replicas != replicas {
			return fmt.Errorf("deployment %s/%s status %+v", ns, name, s)
		}
		return nil
	})
}

func checkPodsRunningOnNodes(t *testing.T, client kubernetes.Interface, ns string, nodes []string) {
	t.Helper()
	pods, err := client.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pod := range pods.Items {
		if pod.Status.Phase != corev1.PodRunning || pod.Status.PodIP == "" || !strings.HasPrefix(pod.Spec.NodeName, "kwok-node-") {
			t.Errorf("pod %s: phase %s, IP %q, node %q; want Running with an IP on one of %v",
				pod.Name, pod.Status.Phase, pod.Status.PodIP, pod.Spec.NodeName, nodes)
		}
	}
}

func checkServiceAccountConfig(t *testing.T, c *Cluster, client kubernetes.Interface) {
	ctx := t.Context()
	ns := CreateNamespace(t, client, "sa-")
	if _, err := client.CoreV1().ServiceAccounts(ns).Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "reader"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.ServiceAccountConfig(ctx, ns, "reader")
	if err != nil {
		t.Fatal(err)
	}
	reader := kubernetes.NewForConfigOrDie(cfg)
	review, err := reader.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := review.Status.UserInfo.Username, "system:serviceaccount:"+ns+":reader"; got != want {
		t.Errorf("authenticated as %q, want %q", got, want)
	}
	if _, err := reader.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("listing pods without a RoleBinding: got error %v, want Forbidden", err)
	}
	grantPodReader(t, client, ns, "reader")
	Eventually(t, 10*time.Second, "the RoleBinding to let the ServiceAccount list pods", func(ctx context.Context) error {
		_, err := reader.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		return err
	})
}

func grantPodReader(t *testing.T, client kubernetes.Interface, ns, account string) {
	t.Helper()
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}}},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "pod-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: account, Namespace: ns}},
	}
	if _, err := client.RbacV1().Roles(ns).Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.RbacV1().RoleBindings(ns).Create(t.Context(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
