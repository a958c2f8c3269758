package istio

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

func TestRestoredVirtualServiceUndoesThePatch(t *testing.T) {
	tests := map[string]string{
		"a tcp route returns to its plain destination":            "user-vs-tcp.yaml",
		"a tls route returns to its FQDN destination":             "user-vs-tls.yaml",
		"an FQDN http route returns to its plain destination":     "user-vs-fqdn.yaml",
		"a name.ns route on a gateway returns to its destination": "user-vs-name-ns.yaml",
		"routes meshcanary skipped stay as the user wrote them":   "user-vs-mixed.yaml",
	}
	for name, fixture := range tests {
		t.Run(name, func(t *testing.T) {
			user := loadVS(t, fixture)
			for _, weight := range []int32{0, 1, 99, 100} {
				got := RestoredVirtualService(DesiredVirtualService(user, routing(weight, 100)), shop)
				if !VirtualServiceEqual(got, user) {
					t.Errorf("at weight %d the restored VirtualService differs from the user's (-user +restored):\n%s",
						weight, cmp.Diff(user.Spec.String(), got.Spec.String()))
				}
			}
		})
	}
}

func TestRestoredVirtualServiceMergesSubsetsInASharedRoute(t *testing.T) {
	vs := loadVS(t, "user-vs-mixed.yaml")
	// A user edit put meshcanary's subsets into the shared route.
	shared := vs.Spec.Http[0]
	shared.Route[0].Destination.Subset = config.SubsetPrimary
	extra := proto.CloneOf(shared.Route[0])
	extra.Destination.Subset = config.SubsetCanary
	extra.Weight = 5
	shared.Route = append(shared.Route, extra)

	got := RestoredVirtualService(vs, shop).Spec.Http[0].Route
	if len(got) != 2 {
		t.Fatalf("restored shared route has %d destinations, want 2: %v", len(got), got)
	}
	if d := got[0]; d.GetDestination().GetSubset() != "" || d.GetWeight() != 85 {
		t.Errorf("service destination = %v, want no subset and weight 80+5", d)
	}
	if d := got[1]; d.GetDestination().GetHost() != "reviews-legacy" || d.GetWeight() != 20 {
		t.Errorf("other destination = %v, want reviews-legacy at 20", d)
	}
}

func TestRestoredVirtualServiceOfAnOwnedOneIsNil(t *testing.T) {
	created := DesiredVirtualService(nil, routing(5, 100))
	if got := RestoredVirtualService(created, shop); got != nil {
		t.Errorf("RestoredVirtualService of an owned VirtualService = %v, want nil (delete)", got)
	}
	if got := RestoredVirtualService(nil, shop); got != nil {
		t.Errorf("RestoredVirtualService(nil) = %v, want nil", got)
	}
}

func TestDesiredVirtualServiceClampsWeights(t *testing.T) {
	tests := map[string]struct {
		routing          Routing
		primary, canary  int32
		wantDestinations int
	}{
		"a weight above the total gives the canary everything":   {routing: routing(150, 100), primary: 0, canary: 100, wantDestinations: 2},
		"a negative weight routes the primary alone":             {routing: routing(-5, 100), wantDestinations: 1},
		"a zero total routes the primary alone":                  {routing: routing(5, 0), wantDestinations: 1},
		"the last step before the total leaves 1 to the primary": {routing: routing(9999, 10000), primary: 1, canary: 9999, wantDestinations: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			route := DesiredVirtualService(nil, tc.routing).Spec.Http[0].Route
			if len(route) != tc.wantDestinations {
				t.Fatalf("got %d destinations, want %d: %v", len(route), tc.wantDestinations, route)
			}
			if tc.wantDestinations == 1 {
				if route[0].GetDestination().GetSubset() != config.SubsetPrimary || route[0].GetWeight() != 0 {
					t.Errorf("lone destination = %v, want the primary without weight", route[0])
				}
				return
			}
			if route[0].GetWeight() != tc.primary || route[1].GetWeight() != tc.canary {
				t.Errorf("weights = %d/%d, want %d/%d", route[0].GetWeight(), route[1].GetWeight(), tc.primary, tc.canary)
			}
		})
	}
}

func TestDesiredVirtualServiceKeepsAnOwnedOneInStepWithGatewaysAndHosts(t *testing.T) {
	created := DesiredVirtualService(nil, routing(5, 100))
	r := routing(5, 100)
	r.Gateways, r.Hosts = []string{"shop/edge"}, []string{"reviews.example.com"}
	got := DesiredVirtualService(created, r)
	if diff := cmp.Diff([]string{"shop/edge"}, got.Spec.Gateways); diff != "" {
		t.Errorf("gateways (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"reviews.example.com"}, got.Spec.Hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}

	user := loadVS(t, "user-vs-tls.yaml")
	if got := DesiredVirtualService(user, r); !cmp.Equal(got.Spec.Hosts, user.Spec.Hosts) || !cmp.Equal(got.Spec.Gateways, user.Spec.Gateways) {
		t.Errorf("a user VirtualService's hosts/gateways changed to %v/%v", got.Spec.Hosts, got.Spec.Gateways)
	}
}

func TestVirtualServiceEqual(t *testing.T) {
	base := DesiredVirtualService(loadVS(t, "user-vs-fqdn.yaml"), routing(5, 100))
	tests := map[string]struct {
		change func(*networkingv1.VirtualService) *networkingv1.VirtualService
		want   bool
	}{
		"a copy is equal": {change: func(vs *networkingv1.VirtualService) *networkingv1.VirtualService { return vs }, want: true},
		"a changed resourceVersion is still equal": {change: func(vs *networkingv1.VirtualService) *networkingv1.VirtualService {
			vs.ResourceVersion = "42"
			return vs
		}, want: true},
		"another weight differs": {change: func(vs *networkingv1.VirtualService) *networkingv1.VirtualService {
			vs.Spec.Http[0].Route[1].Weight++
			return vs
		}, want: false},
		"another label differs": {change: func(vs *networkingv1.VirtualService) *networkingv1.VirtualService {
			vs.Labels = map[string]string{"team": "x"}
			return vs
		}, want: false},
		"a missing annotation differs": {change: func(vs *networkingv1.VirtualService) *networkingv1.VirtualService {
			vs.Annotations = nil
			return vs
		}, want: false},
		"nil differs from an object": {change: func(*networkingv1.VirtualService) *networkingv1.VirtualService { return nil }, want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := VirtualServiceEqual(base, tc.change(base.DeepCopy())); got != tc.want {
				t.Errorf("VirtualServiceEqual = %v, want %v", got, tc.want)
			}
		})
	}
	if !VirtualServiceEqual(nil, nil) {
		t.Errorf("VirtualServiceEqual(nil, nil) = false, want true")
	}
}
