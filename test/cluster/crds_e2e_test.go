//go:build e2e

package cluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes"
)

// widgetCRD is a CustomResourceDefinition of the kind another tool ships.
const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`

func checkApplyCRDs(t *testing.T, c *Cluster, client kubernetes.Interface) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "crds.yaml"), filepath.Join(dir, "mixed.yaml")
	mixed := widgetCRD + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: not-a-crd, namespace: default}\n"
	for path, content := range map[string]string{good: widgetCRD, bad: mixed} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.ApplyCRDs(context.Background(), good); err != nil {
		t.Fatalf("ApplyCRDs: %v", err)
	}
	if _, err := client.Discovery().ServerResourcesForGroupVersion("example.com/v1"); err != nil {
		t.Errorf("the applied CRD is not served: %v", err)
	}
	err := c.ApplyCRDs(context.Background(), bad)
	if err == nil || !strings.Contains(err.Error(), `"not-a-crd" is a ConfigMap, not a CustomResourceDefinition`) {
		t.Errorf("ApplyCRDs of a file with a ConfigMap = %v, want an error naming the ConfigMap", err)
	}
}

// checkServerVersion checks that the apiserver reports the release of
// k8s.io/kubernetes that tools/kube pins, as a release build does (tools
// such as Flagger refuse v0.0.0-master).
func checkServerVersion(t *testing.T, _ *Cluster, client kubernetes.Interface) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "k8s.io/kubernetes")
	cmd.Dir = filepath.Join(root, "tools", "kube")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the version tools/kube pins (go list -m): %v", err)
	}
	want := strings.TrimSpace(string(out))
	got, err := client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if got.GitVersion != want || "v"+got.Major+"."+got.Minor != want[:strings.LastIndexByte(want, '.')] {
		t.Errorf("server version = %s (major %q, minor %q), want %s", got.GitVersion, got.Major, got.Minor, want)
	}
}
