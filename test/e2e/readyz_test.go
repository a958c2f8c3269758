//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/meshcanary/meshcanary/test/cluster"
)

// TestReadyzWaitsForTheInformerCaches starts a second controller, for one
// namespace, as a ServiceAccount that may not list the Istio resources
// there, as a namespace missing from the chart's RBAC would be: its
// VirtualService and DestinationRule caches cannot sync, so /readyz answers
// 503 naming them while /healthz answers ok (restarting would not help).
// Once a Role grants them, /readyz turns ready. It watches a namespace
// without canaries, so it runs beside the shared controller.
func TestReadyzWaitsForTheInformerCaches(t *testing.T) {
	t.Parallel()
	const ns, account = "e2e-readyz", "meshcanary"
	ctx := t.Context()
	cluster.CreateNamespace(t, env.kube, ns)
	_, err := env.kube.CoreV1().ServiceAccounts(ns).Create(ctx,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: account}}, metav1.CreateOptions{})
	must(t, "creating the ServiceAccount", err)
	grant := func(name string, rules ...rbacv1.PolicyRule) {
		t.Helper()
		_, err := env.kube.RbacV1().Roles(ns).Create(ctx,
			&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
		must(t, "creating Role "+name, err)
		_, err = env.kube.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: account, Namespace: ns}},
		}, metav1.CreateOptions{})
		must(t, "creating RoleBinding "+name, err)
	}
	read := []string{"get", "list", "watch"}
	grant("meshcanary-kube",
		rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"deployments", "replicasets"}, Verbs: read},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: read},
		rbacv1.PolicyRule{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: read},
		rbacv1.PolicyRule{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: read},
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}})

	ctrl, err := env.cluster.StartMeshcanary(cluster.MeshcanaryOptions{
		Name:       "meshcanary-readyz",
		Kubeconfig: serviceAccountKubeconfig(t, ns, account),
		Probe:      "/healthz", // it is not expected to become ready
		Args:       []string{"--namespaces", ns},
	})
	must(t, "starting the second controller", err)
	t.Cleanup(ctrl.Stop)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + ctrl.MetricsAddr + path)
		must(t, "GET "+path, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body))
	}

	for range 10 { // the caches cannot sync: not ready, yet alive
		code, body := get("/readyz")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "virtualservices in namespace "+ns) ||
			!strings.Contains(body, "destinationrules in namespace "+ns) {
			t.Fatalf("/readyz of a controller whose Istio caches cannot sync = %d %q; want 503 naming them", code, body)
		}
		if code, body := get("/healthz"); code != http.StatusOK {
			t.Fatalf("/healthz = %d %q, want 200: a restart does not fix permissions", code, body)
		}
		time.Sleep(300 * time.Millisecond) // an action: let the reflectors retry
	}

	grant("meshcanary-istio", rbacv1.PolicyRule{APIGroups: []string{"networking.istio.io"},
		Resources: []string{"virtualservices", "destinationrules"}, Verbs: read})
	cluster.Eventually(t, waitTimeout, "/readyz to answer 200 once the Istio resources are granted", func(context.Context) error {
		if code, body := get("/readyz"); code != http.StatusOK {
			return fmt.Errorf("/readyz = %d %q", code, body)
		}
		return nil
	})
}

// serviceAccountKubeconfig writes a kubeconfig authenticated as the
// ServiceAccount namespace/name and returns its path.
func serviceAccountKubeconfig(t *testing.T, namespace, name string) string {
	t.Helper()
	cfg, err := env.cluster.ServiceAccountConfig(t.Context(), namespace, name)
	must(t, "a token for the ServiceAccount", err)
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: "local", AuthInfo: name}
	kc.CurrentContext = name
	path := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, "writing the kubeconfig", clientcmd.WriteToFile(*kc, path))
	return path
}
