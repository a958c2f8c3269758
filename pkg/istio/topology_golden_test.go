package istio

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestDesiredVirtualServiceOfEveryTopologyMatchesGoldenFiles(t *testing.T) {
	ab := Strategy{Match: []Condition{{In: InHeader, Name: "x-canary", Op: Exact, Value: "insider"}}}
	tests := map[string]struct {
		golden  string
		fixture string
		routing Routing
	}{
		"an ingress VirtualService in istio-system splits its route to the FQDN, keeping rewrite, CORS, timeout and header rules, and leaves the shared route and the other service's alone": {
			golden: "gateway-vs-fqdn-5-of-100", fixture: "gateway-vs-fqdn.yaml", routing: routing(5, 100),
		},
		"an ingress VirtualService gets the same A/B route as the mesh one": {
			golden: "gateway-vs-fqdn-ab-5-of-100", fixture: "gateway-vs-fqdn.yaml",
			routing: Routing{Target: shop, Weight: 5, Total: 100, Strategy: ab},
		},
		"an ingress VirtualService at 0.5 % carries the exact weight out of 1000": {
			golden: "gateway-vs-fqdn-5-of-1000", fixture: "gateway-vs-fqdn.yaml", routing: routing(5, 1000),
		},
		"a delegate VirtualService splits both of its routes to the short host of its own namespace": {
			golden: "delegate-child-25-of-100", fixture: "delegate-child.yaml", routing: routing(25, 100),
		},
		"a delegate VirtualService at weight 0 sends each route to the primary alone": {
			golden: "delegate-child-0-of-100", fixture: "delegate-child.yaml", routing: routing(0, 100),
		},
		"a mesh VirtualService in another namespace, exported to it only, is split and marked with the Deployment's namespace": {
			golden: "mesh-vs-frontend-50-of-100", fixture: "mesh-vs-frontend.yaml", routing: routing(50, 100),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			live := loadVS(t, tc.fixture)
			before := live.DeepCopy()
			got := DesiredVirtualService(live, tc.routing)
			if !VirtualServiceEqual(live, before) {
				t.Errorf("DesiredVirtualService modified the live VirtualService")
			}
			if again := DesiredVirtualService(got, tc.routing); !VirtualServiceEqual(again, got) {
				t.Errorf("DesiredVirtualService is not idempotent")
			}
			routed, weight := ObserveRouting(got, tc.routing.Target)
			if !routed || weight != tc.routing.Weight {
				t.Errorf("ObserveRouting = %v, %d; want true, %d", routed, weight, tc.routing.Weight)
			}
			checkGolden(t, tc.golden, got)
		})
	}
}

func TestDesiredVirtualServiceLeavesWhatIsNotTheService(t *testing.T) {
	tests := map[string]string{
		"a root VirtualService's delegate routes and its route to another service stay as they are": "delegate-root.yaml",
		"a short host in istio-system is istio-system's service, not shop's":                        "gateway-vs-short.yaml",
	}
	for name, fixture := range tests {
		t.Run(name, func(t *testing.T) {
			live := loadVS(t, fixture)
			got := DesiredVirtualService(live, routing(50, 100))
			if !proto.Equal(&got.Spec, &live.Spec) {
				t.Errorf("DesiredVirtualService changed the spec:\n%v", got.Spec.String())
			}
			if routed, _ := ObserveRouting(got, shop); routed {
				t.Errorf("ObserveRouting says %s routes the service", fixture)
			}
		})
	}
}

func TestRestoreOfAGatewayVirtualServiceMatchesGoldenFile(t *testing.T) {
	patched := DesiredVirtualService(loadVS(t, "gateway-vs-fqdn.yaml"), routing(5, 100))
	checkGolden(t, "restored-gateway-vs", RestoredVirtualService(patched, shop))
}
