package istio

import (
	"fmt"
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// serviceHosts are the forms of the shop target's host a user may write.
var serviceHosts = []string{"reviews", "reviews.shop", "reviews.shop.svc", "reviews.shop.svc.cluster.local"}

// randomUserVirtualService is a user's VirtualService for shop with random
// http, tls and tcp routes; at least one http route goes to the service
// alone, as the user wrote it (no subset, no weight).
func randomUserVirtualService(rng *rand.Rand) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{}
	vs.Name, vs.Namespace = "user-routes", shop.Namespace
	vs.Labels = map[string]string{"team": "books"}
	vs.Spec.Hosts = []string{pick(rng, serviceHosts)}
	n := 1 + rng.IntN(4)
	plain := rng.IntN(n)
	for i := range n {
		route := &apinetworkingv1.HTTPRoute{Name: fmt.Sprintf("r%d", i)}
		if i == plain {
			route.Route = httpDestinations(serviceDestination(rng))
		} else {
			route.Route = randomHTTPDestinations(rng)
		}
		if rng.IntN(2) == 0 {
			route.Match = []*apinetworkingv1.HTTPMatchRequest{{
				Headers: map[string]*apinetworkingv1.StringMatch{
					"x-user": {MatchType: &apinetworkingv1.StringMatch_Exact{Exact: fmt.Sprint(rng.IntN(10))}},
				},
			}}
		}
		if rng.IntN(3) == 0 {
			route.Retries = &apinetworkingv1.HTTPRetry{Attempts: 3, PerTryTimeout: durationpb.New(2 * time.Second)}
		}
		vs.Spec.Http = append(vs.Spec.Http, route)
	}
	for range rng.IntN(3) {
		vs.Spec.Tcp = append(vs.Spec.Tcp, &apinetworkingv1.TCPRoute{Route: randomDestinations(rng)})
	}
	for range rng.IntN(2) {
		vs.Spec.Tls = append(vs.Spec.Tls, &apinetworkingv1.TLSRoute{
			Match: []*apinetworkingv1.TLSMatchAttributes{{SniHosts: []string{"reviews.example.com"}}},
			Route: randomDestinations(rng),
		})
	}
	return vs
}

// serviceDestination is the service in a random host form, with or without
// a port.
func serviceDestination(rng *rand.Rand) *apinetworkingv1.Destination {
	d := &apinetworkingv1.Destination{Host: pick(rng, serviceHosts)}
	if rng.IntN(2) == 0 {
		d.Port = &apinetworkingv1.PortSelector{Number: 9080}
	}
	return d
}

// randomDestinations is one of the shapes a user's route has: the service
// alone, another service, the service shared with another service, or a
// subset of the user's own.
func randomDestinations(rng *rand.Rand) []*apinetworkingv1.RouteDestination {
	other := &apinetworkingv1.Destination{Host: pick(rng, []string{"ratings", "reviews.other", "reviews-v2.shop"})}
	switch rng.IntN(4) {
	case 0:
		return []*apinetworkingv1.RouteDestination{{Destination: serviceDestination(rng)}}
	case 1:
		return []*apinetworkingv1.RouteDestination{{Destination: other}}
	case 2:
		w := rng.Int32N(101)
		return []*apinetworkingv1.RouteDestination{
			{Destination: serviceDestination(rng), Weight: w},
			{Destination: other, Weight: 100 - w},
		}
	}
	d := serviceDestination(rng)
	d.Subset = "v1"
	return []*apinetworkingv1.RouteDestination{{Destination: d}}
}

func randomHTTPDestinations(rng *rand.Rand) []*apinetworkingv1.HTTPRouteDestination {
	var out []*apinetworkingv1.HTTPRouteDestination
	for _, d := range randomDestinations(rng) {
		out = append(out, &apinetworkingv1.HTTPRouteDestination{Destination: d.Destination, Weight: d.Weight})
	}
	return out
}

func httpDestinations(d *apinetworkingv1.Destination) []*apinetworkingv1.HTTPRouteDestination {
	return []*apinetworkingv1.HTTPRouteDestination{{Destination: d}}
}

func pick[T any](rng *rand.Rand, from []T) T {
	return from[rng.IntN(len(from))]
}
