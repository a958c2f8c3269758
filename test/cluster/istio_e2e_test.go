//go:build e2e

package cluster

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// denied is how the apiserver words the webhook's refusal of invalid config.
const denied = `admission webhook "validation.istio.io" denied the request: configuration is invalid: `

func checkIstioCRDsServed(t *testing.T, _ *Cluster, client kubernetes.Interface) {
	for _, version := range []string{"v1", "v1beta1", "v1alpha3"} {
		list, err := client.Discovery().ServerResourcesForGroupVersion("networking.istio.io/" + version)
		if err != nil {
			t.Errorf("discover networking.istio.io/%s: %v", version, err)
			continue
		}
		var got []string
		for _, r := range list.APIResources {
			if r.Name == "virtualservices" || r.Name == "destinationrules" {
				got = append(got, r.Name)
			}
		}
		slices.Sort(got)
		if diff := cmp.Diff([]string{"destinationrules", "virtualservices"}, got); diff != "" {
			t.Errorf("networking.istio.io/%s resources (-want +got):\n%s", version, diff)
		}
	}
}

// admissionCase is an object written through the apiserver and the error
// message expected, empty when it must be accepted.
type admissionCase struct {
	version string
	spec    map[string]any
	wantErr string
}

func checkVirtualServiceValidation(t *testing.T, c *Cluster, client kubernetes.Interface) {
	route := func(subset string, weight int64) map[string]any {
		return map[string]any{"destination": map[string]any{"host": "web", "subset": subset}, "weight": weight}
	}
	vs := func(routes ...any) map[string]any {
		return map[string]any{"hosts": []any{"web"}, "http": []any{map[string]any{"route": routes}}}
	}
	cases := map[string]admissionCase{
		"exact weights out of 1000 are accepted":      {"v1", vs(route("primary", 995), route("canary", 5)), ""},
		"exact weights out of 10000 are accepted":     {"v1", vs(route("primary", 9999), route("canary", 1)), ""},
		"a single destination is accepted in v1beta1": {"v1beta1", vs(route("primary", 100)), ""},
		"a negative weight is rejected":               {"v1", vs(route("primary", 110), route("canary", -10)), "weight -10 < 0"},
		"a negative weight is rejected in v1alpha3":   {"v1alpha3", vs(route("primary", 110), route("canary", -10)), "weight -10 < 0"},
		"weights adding up to zero are rejected":      {"v1", vs(route("primary", 0), route("canary", 0)), "total destination weight = 0"},
		"an HTTP rule without route is rejected": {"v1", map[string]any{"hosts": []any{"web"}, "http": []any{map[string]any{"name": "empty"}}},
			"HTTP route, redirect or direct_response is required"},
	}
	checkAdmission(t, c, "VirtualService", "virtualservices", cases)
}

func checkDestinationRuleValidation(t *testing.T, c *Cluster, client kubernetes.Interface) {
	subset := func(name, role string) map[string]any {
		return map[string]any{"name": name, "labels": map[string]any{"meshcanary.io/role": role}}
	}
	dr := func(subsets ...any) map[string]any {
		return map[string]any{"host": "web", "subsets": subsets}
	}
	cases := map[string]admissionCase{
		"primary and canary subsets are accepted":            {"v1", dr(subset("primary", "primary"), subset("canary", "canary")), ""},
		"two subsets with one name are rejected":             {"v1", dr(subset("primary", "primary"), subset("primary", "canary")), "duplicate subset names: primary"},
		"a subset name with a slash is rejected":             {"v1beta1", dr(subset("prim/ary", "primary")), "subset name is invalid: prim/ary"},
		"a subset name with a slash is rejected in v1alpha3": {"v1alpha3", dr(subset("prim/ary", "primary")), "subset name is invalid: prim/ary"},
	}
	checkAdmission(t, c, "DestinationRule", "destinationrules", cases)
}

// checkAdmission creates one object per case, in a fresh namespace, and checks it
// is accepted or rejected by Istio's webhook with the expected message.
func checkAdmission(t *testing.T, c *Cluster, kind, resource string, cases map[string]admissionCase) {
	t.Helper()
	ns := CreateNamespace(t, kubernetes.NewForConfigOrDie(c.AdminConfig()), strings.ToLower(kind)+"-")
	dyn := dynamic.NewForConfigOrDie(c.AdminConfig())
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			gvr := schema.GroupVersionResource{Group: "networking.istio.io", Version: tc.version, Resource: resource}
			obj := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "networking.istio.io/" + tc.version,
				"kind":       kind,
				"metadata":   map[string]any{"generateName": "case-"},
				"spec":       tc.spec,
			}}
			_, err := dyn.Resource(gvr).Namespace(ns).Create(t.Context(), obj, metav1.CreateOptions{})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("create %s: %v, want it accepted", kind, err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("create %s accepted, want rejected with %q", kind, tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), denied+tc.wantErr):
				t.Errorf("create %s: got error\n%v\nwant one containing\n%s", kind, err, denied+tc.wantErr)
			}
		})
	}
}
