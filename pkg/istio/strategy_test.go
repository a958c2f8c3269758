package istio

import (
	"regexp"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/wrapperspb"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// everyShape is every strategy the tests know, on each fixture with its own
// routes.
var (
	everyShape = map[string]Shaping{
		"an A/B match":     {Match: []Condition{insiders, previewQ}},
		"a cookie match":   {Match: []Condition{cookieAB}},
		"a mirror":         {Mirror: halfPct},
		"sticky sessions":  {Sticky: session},
		"all of them":      {Match: []Condition{insiders}, Mirror: halfPct, Sticky: session},
		"the same header":  {Match: []Condition{betaTier}, Sticky: session},
		"a query and more": {Match: []Condition{previewQ, insiders}, Mirror: &Share{Weight: 1, Total: 10000}},
	}
	userFixtures = []string{"user-vs-header-match.yaml", "user-vs-mixed.yaml", "user-vs-fqdn.yaml", "user-vs-name-ns.yaml", "user-vs-tls.yaml"}
)

func TestARoutingWithoutStrategyRemovesEverythingAStrategyAdded(t *testing.T) {
	for shape, st := range everyShape {
		for _, fixture := range userFixtures {
			for _, weight := range []int32{0, 5} {
				user := loadVS(t, fixture)
				shapedVS := DesiredVirtualService(user, shaped(weight, 100, true, st))
				got := DesiredVirtualService(shapedVS, routing(weight, 100))
				want := DesiredVirtualService(user, routing(weight, 100))
				if !VirtualServiceEqual(got, want) {
					t.Errorf("%s on %s at weight %d: rebuilt without strategy differs (-plain +rebuilt):\n%s",
						shape, fixture, weight, cmp.Diff(want.Spec.String(), got.Spec.String()))
				}
				restored, plainRestored := RestoredVirtualService(shapedVS, shop), RestoredVirtualService(want, shop)
				if !VirtualServiceEqual(restored, plainRestored) {
					t.Errorf("%s on %s at weight %d: restored differs from the plain restore (-plain +restored):\n%s",
						shape, fixture, weight, cmp.Diff(plainRestored.Spec.String(), restored.Spec.String()))
				}
			}
		}
	}
}

func TestObserveRoutingIgnoresTheRoutesAStrategyAdds(t *testing.T) {
	for shape, st := range everyShape {
		for _, fixture := range userFixtures {
			for _, weight := range []int32{0, 5, 100} {
				wantRouted, wantWeight := ObserveRouting(DesiredVirtualService(loadVS(t, fixture), routing(weight, 100)), shop)
				routed, got := ObserveRouting(DesiredVirtualService(loadVS(t, fixture), shaped(weight, 100, true, st)), shop)
				if routed != wantRouted || got != wantWeight {
					t.Errorf("%s on %s at weight %d: ObserveRouting = (%v, %d), want (%v, %d)",
						shape, fixture, weight, routed, got, wantRouted, wantWeight)
				}
			}
		}
	}
}

func TestReferencedSubsetsCountTheCanaryInStrategyRoutes(t *testing.T) {
	tests := map[string]struct {
		routing Routing
		want    []string
	}{
		"a match-only schedule names the canary at weight 0 through its A/B routes": {
			routing: shaped(0, 100, true, Shaping{Match: []Condition{insiders}}), want: []string{"canary", "primary"},
		},
		"a mirror names the canary at weight 0": {
			routing: shaped(0, 100, true, Shaping{Mirror: halfPct}), want: []string{"canary", "primary"},
		},
		"a strategy for a canary that is not ready names the primary alone": {
			routing: shaped(0, 100, false, Shaping{Match: []Condition{insiders}, Mirror: halfPct, Sticky: session}), want: []string{"primary"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := ReferencedSubsets(DesiredVirtualService(loadVS(t, "user-vs-header-match.yaml"), tc.routing), shop)
			if diff := cmp.Diff(sets.New(tc.want...), got); diff != "" {
				t.Errorf("ReferencedSubsets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAUserMirrorComesBackAfterMirroring(t *testing.T) {
	tests := map[string]struct {
		route *apinetworkingv1.HTTPRoute
		want  *apinetworkingv1.HTTPRoute
	}{
		"a mirror with a percentage comes back as it was": {
			route: &apinetworkingv1.HTTPRoute{Mirror: shadow(), MirrorPercentage: &apinetworkingv1.Percent{Value: 2.5}},
			want:  &apinetworkingv1.HTTPRoute{Mirror: shadow(), MirrorPercentage: &apinetworkingv1.Percent{Value: 2.5}},
		},
		"a mirror without a percentage comes back without one": {
			route: &apinetworkingv1.HTTPRoute{Mirror: shadow()},
			want:  &apinetworkingv1.HTTPRoute{Mirror: shadow()},
		},
		"a deprecated integer percentage comes back as mirrorPercentage": {
			//lint:ignore SA1019 the deprecated field is what this case is about
			route: &apinetworkingv1.HTTPRoute{Mirror: shadow(), MirrorPercent: wrapperspb.UInt32(3)},
			want:  &apinetworkingv1.HTTPRoute{Mirror: shadow(), MirrorPercentage: &apinetworkingv1.Percent{Value: 3}},
		},
		"one mirrors entry stays one entry": {
			route: &apinetworkingv1.HTTPRoute{Mirrors: []*apinetworkingv1.HTTPMirrorPolicy{{Destination: shadow()}}},
			want:  &apinetworkingv1.HTTPRoute{Mirrors: []*apinetworkingv1.HTTPMirrorPolicy{{Destination: shadow()}}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			vs := &networkingv1.VirtualService{}
			tc.route.Route = []*apinetworkingv1.HTTPRouteDestination{{Destination: &apinetworkingv1.Destination{Host: "reviews"}}}
			vs.Spec.Http = []*apinetworkingv1.HTTPRoute{tc.route}
			mirrored := DesiredVirtualService(vs, shaped(0, 100, true, Shaping{Mirror: halfPct}))
			if m := mirrored.Spec.Http[0]; m.Mirror != nil || len(m.Mirrors) != 1+max(len(tc.route.Mirrors), 1) {
				t.Fatalf("while mirroring: mirror %v, mirrors %v; want no mirror and the user's mirror in mirrors", m.Mirror, m.Mirrors)
			}
			got := RestoredVirtualService(mirrored, shop).Spec.Http[0]
			got.Route = nil
			if diff := cmp.Diff(tc.want.String(), got.String()); diff != "" {
				t.Errorf("restored route (-want +got):\n%s", diff)
			}
		})
	}
}

func shadow() *apinetworkingv1.Destination {
	return &apinetworkingv1.Destination{Host: "reviews-shadow"}
}

func TestASharePrintsAsTheExactPercentage(t *testing.T) {
	for _, total := range []int32{100, 1000, 10000} {
		for weight := int32(1); weight <= total; weight++ {
			got := strconv.FormatFloat(Share{Weight: weight, Total: total}.percent(), 'f', -1, 64) + "%"
			if want := config.FormatWeight(weight, total); got != want {
				t.Fatalf("Share{%d, %d} prints as %s, want %s", weight, total, got, want)
			}
		}
	}
}

func TestCookieRegexMatchesTheCookieWhereverItIs(t *testing.T) {
	re := regexp.MustCompile(CookieRegex("tier", "gold|platinum"))
	tests := map[string]bool{
		"tier=gold":                    true,
		"a=1; tier=platinum":           true,
		"a=1;tier=gold; b=2":           true,
		"tier=golden":                  false,
		"xtier=gold":                   false,
		"a=tier=gold":                  false,
		"tier=silver; other=gold":      false,
		"session=abc; tier=gold;x=tie": true,
	}
	for header, want := range tests {
		if got := re.MatchString(header); got != want {
			t.Errorf("cookie header %q matches = %v, want %v", header, got, want)
		}
	}
}
