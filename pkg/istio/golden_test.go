package istio

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

func TestDesiredVirtualServiceMatchesGoldenFiles(t *testing.T) {
	insiders := Shaping{Match: []Condition{{In: InHeader, Name: "x-canary", Op: Exact, Value: "insider"}}}
	tests := map[string]vsGolden{
		"a created VirtualService at weight 0 routes the primary alone": {
			golden: "created-vs-0-of-100", routing: routing(0, 100),
		},
		"a created VirtualService at 5 of 100 sends 95 to the primary and 5 to the canary": {
			golden: "created-vs-5-of-100", routing: routing(5, 100),
		},
		"a created VirtualService at 50 of 100 with gateways and hosts splits evenly": {
			golden: "created-vs-50-of-100-gateway",
			routing: Routing{Target: shop, Weight: 50, Total: 100,
				Gateways: []string{"shop/edge", "mesh"}, Hosts: []string{"reviews.example.com", "reviews"}},
		},
		"weight 0.5 % is 5 of 1000": {
			golden: "created-vs-5-of-1000", routing: routing(5, 1000),
		},
		"weight 0.01 % is 1 of 10000": {
			golden: "created-vs-1-of-10000", routing: routing(1, 10000),
		},
		"a user VirtualService with a header match ahead of a default route, retries and fault injection keeps them and splits both routes to the service": {
			golden: "user-vs-header-match-5-of-100", fixture: "user-vs-header-match.yaml", routing: routing(5, 100),
		},
		"a user VirtualService at weight 0 sends each route to the primary alone": {
			golden: "user-vs-header-match-0-of-100", fixture: "user-vs-header-match.yaml", routing: routing(0, 100),
		},
		"a tcp route to the service keeps its port and match": {
			golden: "user-vs-tcp-10-of-100", fixture: "user-vs-tcp.yaml", routing: routing(10, 100),
		},
		"a tls route to the service keeps its SNI match and gateway": {
			golden: "user-vs-tls-25-of-100", fixture: "user-vs-tls.yaml", routing: routing(25, 100),
		},
		"an FQDN destination keeps its host string": {
			golden: "user-vs-fqdn-5-of-1000", fixture: "user-vs-fqdn.yaml", routing: routing(5, 1000),
		},
		"a name.ns destination on a gateway VirtualService keeps its host string and rewrite": {
			golden: "user-vs-name-ns-1-of-10000", fixture: "user-vs-name-ns.yaml", routing: routing(1, 10000),
		},
		"routes shared with another service or naming the user's subsets are left unchanged": {
			golden: "user-vs-mixed-50-of-100", fixture: "user-vs-mixed.yaml", routing: routing(50, 100),
		},
		"a full canary keeps the primary named at weight 0": {
			golden: "user-vs-tcp-100-of-100", fixture: "user-vs-tcp.yaml", routing: routing(100, 100),
		},
		"an ingress VirtualService in istio-system splits its route to the FQDN, keeping rewrite, CORS, timeout and header rules, and leaves the shared route and the other service's alone": {
			golden: "gateway-vs-fqdn-5-of-100", fixture: "gateway-vs-fqdn.yaml", routing: routing(5, 100),
		},
		"an ingress VirtualService gets the same A/B route as the mesh one": {
			golden: "gateway-vs-fqdn-ab-5-of-100", fixture: "gateway-vs-fqdn.yaml",
			routing: Routing{Target: shop, Weight: 5, Total: 100, Shaping: insiders},
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
	checkVirtualServiceGoldens(t, tests)
}

func TestDesiredDestinationRuleMatchesGoldenFiles(t *testing.T) {
	tests := map[string]struct {
		golden  string
		fixture string // "" means no live DestinationRule
		hash    string
	}{
		"a created DestinationRule without a canary hash has the primary subset only": {
			golden: "created-dr-primary",
		},
		"a created DestinationRule with a canary hash has both subsets": {
			golden: "created-dr-canary", hash: "7d9f8c6b5",
		},
		"a user DestinationRule keeps its trafficPolicy, subset, labels and annotations": {
			golden: "user-dr-canary", fixture: "user-dr.yaml", hash: "7d9f8c6b5",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var live *networkingv1.DestinationRule
			if tc.fixture != "" {
				live = loadDR(t, tc.fixture)
			}
			got := checkDesiredDestinationRule(t, live, shop, tc.hash, tc.hash)
			checkGolden(t, tc.golden, got)
		})
	}
}

func TestRestoreMatchesGoldenFiles(t *testing.T) {
	tests := map[string]struct {
		golden  string
		vs, dr  string
		routing Routing
	}{
		"opting out of a patched user VirtualService and DestinationRule mid-release restores the plain host and drops the subsets": {
			golden: "restored-header-match", vs: "user-vs-header-match.yaml", dr: "user-dr.yaml", routing: routing(5, 100),
		},
		"opting out of a patched tls route restores the FQDN destination and port": {
			golden: "restored-tls", vs: "user-vs-tls.yaml", dr: "user-dr.yaml", routing: routing(25, 100),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			patchedVS := DesiredVirtualService(loadVS(t, tc.vs), tc.routing)
			patchedDR := DesiredDestinationRule(loadDR(t, tc.dr), tc.routing.Target, "7d9f8c6b5")
			vs := RestoredVirtualService(patchedVS, tc.routing.Target)
			dr := RestoredDestinationRule(patchedDR, tc.routing.Target)
			checkGolden(t, tc.golden, vs, dr)
		})
	}
}
