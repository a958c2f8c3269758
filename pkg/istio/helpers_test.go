package istio

import (
	"github.com/meshcanary/meshcanary/internal/golden"

	"os"
	"path/filepath"
	"strings"
	"testing"

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

// checkGolden compares objs, as YAML documents, with testdata/<name>.golden.yaml.
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
	golden.Check(t, name+".golden.yaml", got)
}

// checkDesiredVirtualService builds the desired VirtualService for r from the
// fixture file ("" for none, as when meshcanary creates it), checks that the
// live object is left alone and that building again changes nothing, and
// compares the result with testdata/<golden>.golden.yaml.
func checkDesiredVirtualService(t *testing.T, fixture string, r Routing, golden string) {
	t.Helper()
	var live *networkingv1.VirtualService
	if fixture != "" {
		live = loadVS(t, fixture)
	}
	before := live.DeepCopy()
	got := DesiredVirtualService(live, r)
	if !VirtualServiceEqual(live, before) {
		t.Errorf("DesiredVirtualService modified the live VirtualService")
	}
	if again := DesiredVirtualService(got, r); !VirtualServiceEqual(again, got) {
		t.Errorf("DesiredVirtualService is not idempotent")
	}
	if routed, weight := ObserveRouting(got, r.Target); !routed || weight != r.Weight {
		t.Errorf("ObserveRouting = %v, %d; want true, %d", routed, weight, r.Weight)
	}
	checkGolden(t, golden, got)
}

// vsGolden is a case of a golden test of DesiredVirtualService.
type vsGolden struct {
	golden  string
	fixture string // "" means no live VirtualService
	routing Routing
}

// checkVirtualServiceGoldens runs checkDesiredVirtualService on each case of
// tests as a subtest of its name.
func checkVirtualServiceGoldens(t *testing.T, tests map[string]vsGolden) {
	t.Helper()
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			checkDesiredVirtualService(t, tc.fixture, tc.routing, tc.golden)
		})
	}
}

// checkDesiredDestinationRule builds the desired DestinationRule for target
// from live (nil for none) with canary hash, checks that live is left alone
// and that building again from the result with canary hash again changes
// nothing, and returns the result.
func checkDesiredDestinationRule(t *testing.T, live *networkingv1.DestinationRule, target Target, hash, again string) *networkingv1.DestinationRule {
	t.Helper()
	before := live.DeepCopy()
	got := DesiredDestinationRule(live, target, hash)
	if !DestinationRuleEqual(live, before) {
		t.Errorf("DesiredDestinationRule modified the live DestinationRule")
	}
	if built := DesiredDestinationRule(got, target, again); !DestinationRuleEqual(built, got) {
		t.Errorf("DesiredDestinationRule is not idempotent (canary hash %q, then %q)", hash, again)
	}
	return got
}
