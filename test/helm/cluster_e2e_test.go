//go:build e2e

package helm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/test/cluster"
)

// TestChartOnLocalControlPlane proves the chart on one local control plane,
// in order: every value set passes a server-side dry run; the default
// install, a namespaced one and one allowed to split VirtualServices in
// istio-system are applied; their ServiceAccounts cannot read Secrets and
// see only their namespaces (and the VirtualServices of istio-system
// where allowed); the controller, run as the
// chart's ServiceAccount with the chart's flags, releases a canary and the
// CLI drives it.
func TestChartOnLocalControlPlane(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	k := newKube(t, c.AdminConfig())
	for _, ns := range []string{releaseNamespace, "team-a", "team-b", gatewayNamespace} {
		cluster.CreateNamespace(t, k.client, ns)
	}
	k.apply(t, decode(t, readFile(t, "testdata/servicemonitor-crd.yaml")), false)
	k.waitEstablished(t, "servicemonitors.monitoring.coreos.com")

	t.Run("helm install --dry-run=server tells how to opt a Deployment in", func(t *testing.T) {
		out, stderr, err := helm(t, "install", releaseName, chartDir(t), "--namespace", releaseNamespace,
			"--dry-run=server", "--kubeconfig", c.Kubeconfig)
		if err != nil || !strings.Contains(out, "NOTES:") || !strings.Contains(out, "label deployment <name> meshcanary.io/canary=enabled") {
			t.Errorf("helm install --dry-run=server: %v\n%s%s", err, out, stderr)
		}
	})
	t.Run("every value set is accepted by a server-side dry run", func(t *testing.T) {
		for name, files := range valueSets {
			t.Run(name, func(t *testing.T) { k.apply(t, render(t, releaseName, files...), true) })
		}
	})
	k.apply(t, render(t, releaseName), false)
	k.apply(t, render(t, scopedRelease, "watch-namespaces.yaml"), false)
	k.apply(t, render(t, routesRelease, "virtualservice-namespaces.yaml"), false)
	t.Run("the ServiceAccounts cannot read Secrets", func(t *testing.T) { checkNoSecrets(t, c, k) })
	t.Run("a namespaced install sees its namespaces only", func(t *testing.T) { checkScoped(t, c) })
	t.Run("virtualServiceNamespaces lets it split VirtualServices there and nothing more", func(t *testing.T) {
		checkVirtualServiceNamespaces(t, c)
	})
	t.Run("the controller releases a canary as the chart's ServiceAccount", func(t *testing.T) {
		checkControllerAsServiceAccount(t, c, k)
	})
}

// kube talks to the cluster as cluster-admin.
type kube struct {
	client  kubernetes.Interface
	istio   istioclient.Interface
	dynamic dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
}

func newKube(t *testing.T, cfg *rest.Config) *kube {
	t.Helper()
	client := kubernetes.NewForConfigOrDie(cfg)
	disc := discovery.NewDiscoveryClientForConfigOrDie(cfg)
	return &kube{
		client:  client,
		istio:   istioclient.NewForConfigOrDie(cfg),
		dynamic: dynamic.NewForConfigOrDie(cfg),
		mapper:  restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc)),
	}
}

// apply server-side applies objs with strict field validation, as a dry
// run when dryRun is set.
func (k *kube) apply(t *testing.T, objs []*unstructured.Unstructured, dryRun bool) {
	t.Helper()
	opts := metav1.PatchOptions{FieldManager: "helm-e2e", FieldValidation: "Strict", Force: ptr.To(true)}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	for _, obj := range objs {
		gvk := obj.GroupVersionKind()
		m, err := k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			k.mapper.Reset()
			if m, err = k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); err != nil {
				t.Fatalf("%s %s: %v", gvk.Kind, obj.GetName(), err)
			}
		}
		data, err := json.Marshal(obj.Object)
		if err != nil {
			t.Fatal(err)
		}
		var client dynamic.ResourceInterface = k.dynamic.Resource(m.Resource)
		if m.Scope.Name() == "namespace" {
			client = k.dynamic.Resource(m.Resource).Namespace(obj.GetNamespace())
		}
		if _, err := client.Patch(context.Background(), obj.GetName(), types.ApplyPatchType, data, opts); err != nil {
			t.Errorf("apply %s %s/%s (dry run %t): %v", gvk.Kind, obj.GetNamespace(), obj.GetName(), dryRun, err)
		}
	}
}

// waitEstablished waits until the CRD name is served.
func (k *kube) waitEstablished(t *testing.T, name string) {
	t.Helper()
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	cluster.Eventually(t, 30*time.Second, "CRD "+name+" established", func(ctx context.Context) error {
		u, err := k.dynamic.Resource(gvr).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		conditions, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conditions {
			if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
				k.mapper.Reset()
				return nil
			}
		}
		return fmt.Errorf("conditions %v", conditions)
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
