package istio

import (
	"slices"

	"google.golang.org/protobuf/proto"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// DesiredVirtualService is the VirtualService meshcanary wants for r.
//
// A live VirtualService is patched on a copy: every http, tls and tcp route
// whose destinations are all the service (see splittable) is sent to the
// primary subset alone while r.Weight is 0, else to the primary
// (Total-Weight) and canary (Weight) subsets, each keeping the host string,
// port and header rules of the route's first destination. Every other route,
// match, retry, timeout, fault, mirror and the order of routes are kept, and
// config.RoutesForAnnotation is set. On a VirtualService meshcanary owns,
// hosts and gateways follow r too.
//
// Hosts are read as Istio reads them in live's namespace (see MatchesHost),
// so the same Routing splits a mesh VirtualService next to the Service, a
// gateway-bound one in another namespace naming the Service by its FQDN,
// and a delegate VirtualService (no hosts) a root in any namespace points
// to; the root's delegate routes have no destinations and stay as they are.
//
// With no live VirtualService, a new one named after the Service is returned
// with one http route to the subsets.
//
// r.Shaping shapes the http routes for the service while the canary has
// weight or r.CanaryReady is set (else it is ignored): above each such route
// an A/B route sends the requests meeting its conditions to the canary
// alone, and a sticky-session route those carrying the cookie; the split's
// canary destination sets the cookie, and the split mirrors a share of its
// traffic to the canary. Inserted routes are named with ManagedRoutePrefix.
// Routes and mirrors of an earlier strategy are removed first, so a Routing
// without a strategy leaves none.
func DesiredVirtualService(live *networkingv1.VirtualService, r Routing) *networkingv1.VirtualService {
	s := newSplit(r.Weight, r.Total)
	var vs *networkingv1.VirtualService
	if live == nil {
		vs = &networkingv1.VirtualService{
			TypeMeta:   metav1.TypeMeta{APIVersion: networkingv1.SchemeGroupVersion.String(), Kind: "VirtualService"},
			ObjectMeta: ownedMeta(r.Target),
		}
		vs.Spec.Hosts = r.hosts()
		vs.Spec.Gateways = slices.Clone(r.Gateways)
		vs.Spec.Http = []*apinetworkingv1.HTTPRoute{{
			Route: []*apinetworkingv1.HTTPRouteDestination{{Destination: &apinetworkingv1.Destination{Host: r.Service}}},
		}}
	} else {
		vs = live.DeepCopy()
		r.Target = r.Target.seenFrom(vs.Namespace)
		markRoutesFor(&vs.ObjectMeta, r.Target)
		if owned(vs.ObjectMeta) {
			vs.Spec.Hosts = r.hosts()
			vs.Spec.Gateways = slices.Clone(r.Gateways)
		}
	}
	vs.Spec.Http = httpBuilder{r: r, s: s}.build(withoutStrategy(vs.Spec.Http, r.Target))
	for _, route := range vs.Spec.Tls {
		if splittable(route.Route, r.Target) {
			route.Route = s.l4(route.Route, r.Target)
		}
	}
	for _, route := range vs.Spec.Tcp {
		if splittable(route.Route, r.Target) {
			route.Route = s.l4(route.Route, r.Target)
		}
	}
	return vs
}

// RestoredVirtualService is live routed back to the plain service host, for
// opt-out: the routes and mirror of a strategy are removed, and in every
// route, the destinations naming meshcanary's subsets of the service (of
// either mode, whatever t.Slot) become one destination with the first one's
// host, port and header rules, no subset, and their summed weight (no weight
// when it is the route's only destination); config.RoutesForAnnotation is
// removed. It returns nil when meshcanary owns live (the caller deletes it)
// or live is nil.
func RestoredVirtualService(live *networkingv1.VirtualService, t Target) *networkingv1.VirtualService {
	if live == nil || owned(live.ObjectMeta) {
		return nil
	}
	vs := live.DeepCopy()
	t = t.seenFrom(vs.Namespace)
	delete(vs.Annotations, config.RoutesForAnnotation)
	vs.Spec.Http = withoutStrategy(vs.Spec.Http, t)
	for _, route := range vs.Spec.Http {
		route.Route = collapse(route.Route, t, func(d *apinetworkingv1.HTTPRouteDestination, w int32) { d.Weight = w })
	}
	for _, route := range vs.Spec.Tls {
		route.Route = collapse(route.Route, t, setL4Weight)
	}
	for _, route := range vs.Spec.Tcp {
		route.Route = collapse(route.Route, t, setL4Weight)
	}
	return vs
}

func setL4Weight(d *apinetworkingv1.RouteDestination, w int32) { d.Weight = w }

// VirtualServiceEqual reports whether a and b have the same spec, labels and
// annotations, so that a write of a over b can be skipped.
func VirtualServiceEqual(a, b *networkingv1.VirtualService) bool {
	if a == nil || b == nil {
		return a == b
	}
	return proto.Equal(&a.Spec, &b.Spec) && metaEqual(a.ObjectMeta, b.ObjectMeta)
}
