package istio

import (
	"fmt"

	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/sets"
)

// ObserveRouting reads what vs does with the service. routed is true when vs
// has at least one route for the service (see DesiredVirtualService) and
// every such route sends to t's primary subset alone or to t's primary and
// canary subsets in that order, all with the same weights; canaryWeight is
// then the canary's weight (0 for the primary alone), out of the pair's sum.
// The subsets are t's (see Target.PrimarySubset): in a swap, routes written
// while the other slot was the primary are not routed.
// The routes a strategy inserts (see ManagedRoutePrefix) are not split
// routes and are ignored.
func ObserveRouting(vs *networkingv1.VirtualService, t Target) (routed bool, canaryWeight int32) {
	if vs == nil {
		return false, 0
	}
	t = t.seenFrom(vs.Namespace)
	var first split
	n, consistent := 0, true
	observe := func(s split, ok bool) {
		if n == 0 {
			first = s
		}
		consistent = consistent && ok && s == first
		n++
	}
	for _, route := range vs.Spec.Http {
		if !managed(route) && splittable(route.Route, t) {
			observe(observeSplit(route.Route, t))
		}
	}
	for _, route := range vs.Spec.Tls {
		if splittable(route.Route, t) {
			observe(observeSplit(route.Route, t))
		}
	}
	for _, route := range vs.Spec.Tcp {
		if splittable(route.Route, t) {
			observe(observeSplit(route.Route, t))
		}
	}
	if n == 0 || !consistent {
		return false, 0
	}
	return true, first.canary
}

// observeSplit reads the split of a splittable route; ok is false for a
// shape meshcanary does not write for t.
func observeSplit[D routeDestination](dsts []D, t Target) (s split, ok bool) {
	subsetAt := func(i int) string { return dsts[i].GetDestination().GetSubset() }
	primary, canary := t.PrimarySubset(), t.CanarySubset()
	switch {
	case len(dsts) == 1 && subsetAt(0) == primary:
		return split{}, true
	case len(dsts) == 2 && subsetAt(0) == primary && subsetAt(1) == canary:
		return split{primary: dsts[0].GetWeight(), canary: dsts[1].GetWeight()}, true
	}
	return split{}, false
}

// ReferencedSubsets is the set of meshcanary's subsets that any destination
// or mirror of vs names for the service: config.SubsetPrimary,
// config.SubsetCanary and the two slots' (see config.Slot.Subset), in
// either mode, so that the subsets of the other mode are seen until no
// route names them. A subset may leave the DestinationRule only when it is
// not in this set.
func ReferencedSubsets(vs *networkingv1.VirtualService, t Target) sets.Set[string] {
	refs := sets.New[string]()
	if vs == nil {
		return refs
	}
	t = t.seenFrom(vs.Namespace)
	add := func(d *apinetworkingv1.Destination) {
		if MatchesHost(d.GetHost(), t) && isOurSubset(d.GetSubset()) {
			refs.Insert(d.GetSubset())
		}
	}
	for _, route := range vs.Spec.Http {
		for _, d := range route.Route {
			add(d.GetDestination())
		}
		add(route.GetMirror())
		for _, m := range route.Mirrors {
			add(m.GetDestination())
		}
	}
	for _, route := range vs.Spec.Tls {
		for _, d := range route.Route {
			add(d.GetDestination())
		}
	}
	for _, route := range vs.Spec.Tcp {
		for _, d := range route.Route {
			add(d.GetDestination())
		}
	}
	return refs
}

// SkippedRoutes names the routes of vs that send traffic to the service
// together with other destinations (another service, another port or one of
// the user's own subsets), such as "http[2] \"legacy\"" or "tcp[0]".
// DesiredVirtualService leaves them unchanged and ObserveRouting ignores
// them, because no exact split of such a route exists in general; their
// traffic to the service reaches primary and canary pods alike, so the
// controller should report them in a Warning Event.
func SkippedRoutes(vs *networkingv1.VirtualService, t Target) []string {
	if vs == nil {
		return nil
	}
	t = t.seenFrom(vs.Namespace)
	var skipped []string
	for i, route := range vs.Spec.Http {
		if mentions(route.Route, t) && !splittable(route.Route, t) {
			skipped = append(skipped, routeName("http", i, route.GetName()))
		}
	}
	for i, route := range vs.Spec.Tls {
		if mentions(route.Route, t) && !splittable(route.Route, t) {
			skipped = append(skipped, routeName("tls", i, ""))
		}
	}
	for i, route := range vs.Spec.Tcp {
		if mentions(route.Route, t) && !splittable(route.Route, t) {
			skipped = append(skipped, routeName("tcp", i, ""))
		}
	}
	return skipped
}

// mentions reports whether any destination is the service.
func mentions[D routeDestination](dsts []D, t Target) bool {
	for _, d := range dsts {
		if MatchesHost(d.GetDestination().GetHost(), t) {
			return true
		}
	}
	return false
}

func routeName(kind string, i int, name string) string {
	if name == "" {
		return fmt.Sprintf("%s[%d]", kind, i)
	}
	return fmt.Sprintf("%s[%d] %q", kind, i, name)
}

// ObserveRoutingAll reads what every VirtualService in vss does with the
// service, for a release split across several (see Discover): routed is
// true when each routes the service as ObserveRouting says and all hold the
// same canary weight, which is returned. A step is applied only then, so
// that its bake time starts once every VirtualService carries it. An empty
// vss is not routed.
func ObserveRoutingAll(vss []*networkingv1.VirtualService, t Target) (routed bool, canaryWeight int32) {
	for i, vs := range vss {
		ok, w := ObserveRouting(vs, t)
		if !ok || (i > 0 && w != canaryWeight) {
			return false, 0
		}
		canaryWeight = w
	}
	return len(vss) > 0, canaryWeight
}

// ReferencedSubsetsAll is the union of ReferencedSubsets over vss: a subset
// leaves the DestinationRule only when no VirtualService names it.
func ReferencedSubsetsAll(vss []*networkingv1.VirtualService, t Target) sets.Set[string] {
	refs := sets.New[string]()
	for _, vs := range vss {
		refs = refs.Union(ReferencedSubsets(vs, t))
	}
	return refs
}
