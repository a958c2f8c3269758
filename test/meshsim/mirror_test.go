package meshsim

import (
	"testing"

	"istio.io/api/networking/v1alpha3"
)

func TestRouteMirrorsAShareOfRequestsWithoutChangingTheirDestination(t *testing.T) {
	canary := &v1alpha3.Destination{Host: app, Subset: "canary"}
	tests := map[string]struct {
		route *v1alpha3.HTTPRoute
		// Each request gets always copies plus one more with probability p.
		always int
		p      float64
	}{
		"mirror without a percentage copies every request": {
			route:  &v1alpha3.HTTPRoute{Route: weighted("primary", 100).Route, Mirror: canary},
			always: 1,
		},
		"mirror at 25 % copies a quarter": {
			route: &v1alpha3.HTTPRoute{Route: weighted("primary", 100).Route, Mirror: canary, MirrorPercentage: &v1alpha3.Percent{Value: 25}},
			p:     0.25,
		},
		"mirrors at 0.5 % copy one in two hundred": {
			route: &v1alpha3.HTTPRoute{Route: weighted("primary", 100).Route, Mirrors: []*v1alpha3.HTTPMirrorPolicy{
				{Destination: canary, Percentage: &v1alpha3.Percent{Value: 0.5}},
			}},
			p: 0.005,
		},
		"mirror and two mirrors add up": {
			route: &v1alpha3.HTTPRoute{Route: weighted("primary", 100).Route, Mirror: canary, Mirrors: []*v1alpha3.HTTPMirrorPolicy{
				{Destination: canary}, {Destination: canary, Percentage: &v1alpha3.Percent{Value: 50}},
			}},
			always: 2, p: 0.5,
		},
		"a mirror to a missing subset is dropped": {
			route: &v1alpha3.HTTPRoute{Route: weighted("primary", 100).Route, Mirror: &v1alpha3.Destination{Host: app, Subset: "v9"}},
		},
	}
	const requests = 40_000
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := meshOf(t, service(app), primaryPod("a").obj(), canaryPod("a").obj(), destinationRule(),
				virtualService(app, []string{app}, tc.route))
			rnd := seeded(4)
			mirrored := 0
			for range requests {
				d := Route(m, Request{Service: podinfo}, rnd)
				if d.Pod == nil || WorkloadName(d.Pod) != "podinfo-primary" {
					t.Fatalf("request went to %v (%d %s), want the primary", d.Pod, d.Code, d.Flags)
				}
				for _, up := range d.Mirrors {
					if WorkloadName(up.Pod) != "podinfo" {
						t.Fatalf("copy went to %s, want the canary", WorkloadName(up.Pod))
					}
				}
				mirrored += len(d.Mirrors)
			}
			if !withinBinomial(mirrored-tc.always*requests, requests, tc.p) {
				t.Errorf("%d copies of %d requests, want %d each plus one at probability %g", mirrored, requests, tc.always, tc.p)
			}
		})
	}
}
