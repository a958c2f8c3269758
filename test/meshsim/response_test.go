package meshsim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"istio.io/api/networking/v1alpha3"
)

func TestRouteAddsTheResponseHeadersOfTheRouteAndOfTheDestinationDrawn(t *testing.T) {
	cookie := &v1alpha3.Headers{Response: &v1alpha3.Headers_HeaderOperations{
		Add: map[string]string{"Set-Cookie": "meshcanary-canary=abc; Max-Age=60; Path=/"}}}
	tests := map[string]struct {
		route *v1alpha3.HTTPRoute
		want  map[string]string
	}{
		"a route without header rules adds none": {
			route: weighted("canary", 100),
		},
		"the canary destination's Set-Cookie comes with the canary's answer": {
			route: func() *v1alpha3.HTTPRoute {
				r := weighted("primary", 0, "canary", 100)
				r.Route[1].Headers = cookie
				return r
			}(),
			want: map[string]string{"set-cookie": "meshcanary-canary=abc; Max-Age=60; Path=/"},
		},
		"the primary's answer does not get the canary destination's header": {
			route: func() *v1alpha3.HTTPRoute {
				r := weighted("primary", 100, "canary", 0)
				r.Route[1].Headers = cookie
				return r
			}(),
		},
		"the route's set and the destination's add are both applied, the destination last": {
			route: func() *v1alpha3.HTTPRoute {
				r := weighted("canary", 100)
				r.Headers = &v1alpha3.Headers{Response: &v1alpha3.Headers_HeaderOperations{
					Set: map[string]string{"X-Route": "yes", "X-Both": "route"}}}
				r.Route[0].Headers = &v1alpha3.Headers{Response: &v1alpha3.Headers_HeaderOperations{
					Add: map[string]string{"X-Both": "destination"}}}
				return r
			}(),
			want: map[string]string{"x-route": "yes", "x-both": "destination"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := meshOf(t, service(app), primaryPod("a").obj(), canaryPod("a").obj(), destinationRule(),
				virtualService(app, []string{app}, tc.route))
			d := Route(m, Request{Service: podinfo}, seeded(1))
			if d.Pod == nil {
				t.Fatalf("no pod answered: %d %s", d.Code, d.Flags)
			}
			if diff := cmp.Diff(tc.want, d.ResponseHeaders); diff != "" {
				t.Errorf("response headers (-want +got):\n%s", diff)
			}
		})
	}
}
