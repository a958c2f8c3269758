package istio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// shop is the target of the tests: Service and Deployment reviews in
// namespace shop.
var shop = Target{
	Namespace:  "shop",
	Service:    "reviews",
	Deployment: "reviews",
	Owner: &metav1.OwnerReference{
		APIVersion: "apps/v1",
		Kind:       "Deployment",
		Name:       "reviews",
		UID:        "6f1c2b9e-0000-4000-8000-000000000001",
		Controller: ptr.To(true),
	},
}

// routing is shop routed with weight out of total.
func routing(weight, total int32) Routing {
	return Routing{Target: shop, Weight: weight, Total: total}
}

// load reads a YAML fixture from testdata into a new T.
func load[T any](t testing.TB, file string) *T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	obj := new(T)
	if err := yaml.UnmarshalStrict(data, obj); err != nil {
		t.Fatalf("parse fixture %s: %v", file, err)
	}
	return obj
}

func loadVS(t testing.TB, file string) *networkingv1.VirtualService {
	return load[networkingv1.VirtualService](t, file)
}

func loadDR(t testing.TB, file string) *networkingv1.DestinationRule {
	return load[networkingv1.DestinationRule](t, file)
}

// checkGolden compares objs, as YAML documents, with testdata/<name>.golden.yaml,
// rewriting the file instead when UPDATE_GOLDEN=1.
func checkGolden(t *testing.T, name string, objs ...any) {
	t.Helper()
	docs := make([]string, len(objs))
	for i, o := range objs {
		data, err := yaml.Marshal(o)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		docs[i] = string(data)
	}
	got := strings.Join(docs, "---\n")
	path := filepath.Join("testdata", name+".golden.yaml")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with UPDATE_GOLDEN=1 to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", path, diff)
	}
}
