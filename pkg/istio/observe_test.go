package istio

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/meshcanary/meshcanary/pkg/config"
)

func TestObserveRouting(t *testing.T) {
	patched := func(t *testing.T, fixture string, weight int32) *networkingv1.VirtualService {
		return DesiredVirtualService(loadVS(t, fixture), routing(weight, 1000))
	}
	tests := map[string]struct {
		vs         func(t *testing.T) *networkingv1.VirtualService
		wantRouted bool
		wantWeight int32
	}{
		"no VirtualService is not routed": {
			vs: func(*testing.T) *networkingv1.VirtualService { return nil },
		},
		"a user VirtualService not yet patched is not routed": {
			vs: func(t *testing.T) *networkingv1.VirtualService { return loadVS(t, "user-vs-header-match.yaml") },
		},
		"a VirtualService routing the primary alone is routed at weight 0": {
			vs:         func(t *testing.T) *networkingv1.VirtualService { return patched(t, "user-vs-header-match.yaml", 0) },
			wantRouted: true,
		},
		"a VirtualService split in every route is routed at the canary weight": {
			vs:         func(t *testing.T) *networkingv1.VirtualService { return patched(t, "user-vs-header-match.yaml", 5) },
			wantRouted: true, wantWeight: 5,
		},
		"a tcp route split is routed": {
			vs:         func(t *testing.T) *networkingv1.VirtualService { return patched(t, "user-vs-tcp.yaml", 250) },
			wantRouted: true, wantWeight: 250,
		},
		"routes with different weights are not routed": {
			vs: func(t *testing.T) *networkingv1.VirtualService {
				vs := patched(t, "user-vs-header-match.yaml", 5)
				vs.Spec.Http[0].Route[1].Weight = 6
				vs.Spec.Http[0].Route[0].Weight = 994
				return vs
			},
		},
		"a route still on the plain host next to a split one is not routed": {
			vs: func(t *testing.T) *networkingv1.VirtualService {
				vs := patched(t, "user-vs-header-match.yaml", 5)
				vs.Spec.Http[2] = loadVS(t, "user-vs-header-match.yaml").Spec.Http[2]
				return vs
			},
		},
		"the canary alone is not a shape meshcanary writes": {
			vs: func(t *testing.T) *networkingv1.VirtualService {
				vs := patched(t, "user-vs-fqdn.yaml", 5)
				vs.Spec.Http[0].Route = vs.Spec.Http[0].Route[1:]
				return vs
			},
		},
		"routes shared with other services are ignored": {
			vs:         func(t *testing.T) *networkingv1.VirtualService { return patched(t, "user-vs-mixed.yaml", 100) },
			wantRouted: true, wantWeight: 100,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			routed, weight := ObserveRouting(tc.vs(t), shop)
			if routed != tc.wantRouted || weight != tc.wantWeight {
				t.Errorf("ObserveRouting = (%v, %d), want (%v, %d)", routed, weight, tc.wantRouted, tc.wantWeight)
			}
		})
	}
}

func TestReferencedSubsets(t *testing.T) {
	mirrored := DesiredVirtualService(loadVS(t, "user-vs-fqdn.yaml"), routing(0, 100))
	mirrored.Spec.Http[0].Mirrors = []*apinetworkingv1.HTTPMirrorPolicy{{
		Destination: &apinetworkingv1.Destination{Host: "reviews.shop", Subset: config.SubsetCanary},
	}}
	otherService := loadVS(t, "user-vs-mixed.yaml")
	otherService.Spec.Http[0].Route[1].Destination.Subset = config.SubsetCanary
	tests := map[string]struct {
		vs   *networkingv1.VirtualService
		want []string
	}{
		"no VirtualService names nothing":                       {vs: nil},
		"an unpatched VirtualService names nothing":             {vs: loadVS(t, "user-vs-tcp.yaml")},
		"the primary alone is named at weight 0":                {vs: DesiredVirtualService(nil, routing(0, 100)), want: []string{"primary"}},
		"both are named while split":                            {vs: DesiredVirtualService(loadVS(t, "user-vs-tls.yaml"), routing(1, 100)), want: []string{"canary", "primary"}},
		"a mirror to the canary names it":                       {vs: mirrored, want: []string{"canary", "primary"}},
		"a subset of another service called canary is not ours": {vs: otherService},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := ReferencedSubsets(tc.vs, shop)
			if diff := cmp.Diff(sets.New(tc.want...), got); diff != "" {
				t.Errorf("ReferencedSubsets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSkippedRoutes(t *testing.T) {
	tests := map[string]struct {
		vs   *networkingv1.VirtualService
		want []string
	}{
		"a route shared with another service and one to a user subset are skipped": {
			vs: loadVS(t, "user-vs-mixed.yaml"), want: []string{`http[0] "legacy-split"`, `http[1] "pinned"`},
		},
		"routes to other services only are not skipped, they are not ours": {
			vs: loadVS(t, "user-vs-tcp.yaml"),
		},
		"a tcp route to two ports of the service is skipped": {
			vs: func() *networkingv1.VirtualService {
				vs := loadVS(t, "user-vs-tcp.yaml")
				vs.Spec.Tcp[0].Route = append(vs.Spec.Tcp[0].Route, &apinetworkingv1.RouteDestination{
					Destination: &apinetworkingv1.Destination{Host: "reviews", Port: &apinetworkingv1.PortSelector{Number: 27018}},
				})
				return vs
			}(),
			want: []string{"tcp[0]"},
		},
		"no VirtualService skips nothing": {vs: nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, SkippedRoutes(tc.vs, shop)); diff != "" {
				t.Errorf("SkippedRoutes (-want +got):\n%s", diff)
			}
		})
	}
}
