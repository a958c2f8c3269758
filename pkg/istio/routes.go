package istio

import (
	"google.golang.org/protobuf/proto"
	apinetworkingv1 "istio.io/api/networking/v1"
)

// split is what the route builder makes of every route for the service: the
// weights of the primary and canary subsets, out of their sum.
type split struct {
	primary, canary int32
}

// newSplit clamps weight to [0, total]; a total below 1 routes the primary
// only.
func newSplit(weight, total int32) split {
	total = max(total, 0)
	weight = min(max(weight, 0), total)
	return split{primary: total - weight, canary: weight}
}

// subsetWeight is one destination of a split route.
type subsetWeight struct {
	subset string
	weight int32
}

// destinations lists t's subsets a route for the service is sent to: the
// primary alone (no weight) while the canary has none, else both, summing to
// the total.
func (s split) destinations(t Target) []subsetWeight {
	if s.canary == 0 {
		return []subsetWeight{{subset: t.PrimarySubset()}}
	}
	return []subsetWeight{
		{subset: t.PrimarySubset(), weight: s.primary},
		{subset: t.CanarySubset(), weight: s.canary},
	}
}

// http rewrites the destinations of a splittable http route to t's
// subsets. Every subset destination keeps the host, port and header rules
// of the first one.
func (s split) http(dsts []*apinetworkingv1.HTTPRouteDestination, t Target) []*apinetworkingv1.HTTPRouteDestination {
	headers := dsts[0].GetHeaders()
	return splitDestinations(s, t, dsts[0].GetDestination(), func(d *apinetworkingv1.Destination, weight int32) *apinetworkingv1.HTTPRouteDestination {
		return &apinetworkingv1.HTTPRouteDestination{Destination: d, Weight: weight, Headers: proto.CloneOf(headers)}
	})
}

// l4 rewrites the destinations of a splittable tls or tcp route to t's
// subsets.
func (s split) l4(dsts []*apinetworkingv1.RouteDestination, t Target) []*apinetworkingv1.RouteDestination {
	return splitDestinations(s, t, dsts[0].GetDestination(), func(d *apinetworkingv1.Destination, weight int32) *apinetworkingv1.RouteDestination {
		return &apinetworkingv1.RouteDestination{Destination: d, Weight: weight}
	})
}

// splitDestinations is one destination of kind D, made by newDest, for
// each of s's subsets of t, with first's host and port.
func splitDestinations[D any](s split, t Target, first *apinetworkingv1.Destination, newDest func(*apinetworkingv1.Destination, int32) D) []D {
	var out []D
	for _, sw := range s.destinations(t) {
		out = append(out, newDest(subsetOf(first, sw.subset), sw.weight))
	}
	return out
}

// subsetOf is d's host and port, exactly as written, with subset.
func subsetOf(d *apinetworkingv1.Destination, subset string) *apinetworkingv1.Destination {
	return &apinetworkingv1.Destination{
		Host:   d.GetHost(),
		Subset: subset,
		Port:   proto.CloneOf(d.GetPort()),
	}
}

// routeDestination is what http and tls/tcp route destinations share.
type routeDestination interface {
	GetDestination() *apinetworkingv1.Destination
	GetWeight() int32
}

// splittable reports whether a route belongs to meshcanary to split: it has
// destinations, and every one is the service, on the same port, with no
// subset or one of meshcanary's (of either mode, see isOurSubset). Routes that also send to other services or
// to the user's own subsets are left alone (see SkippedRoutes).
func splittable[D routeDestination](dsts []D, t Target) bool {
	if len(dsts) == 0 {
		return false
	}
	port := dsts[0].GetDestination().GetPort()
	for _, d := range dsts {
		dest := d.GetDestination()
		if !MatchesHost(dest.GetHost(), t) || !proto.Equal(dest.GetPort(), port) {
			return false
		}
		if s := dest.GetSubset(); s != "" && !isOurSubset(s) {
			return false
		}
	}
	return true
}

// collapse merges the destinations that name the service with one of
// meshcanary's subsets into the first of them, without a subset and with
// their summed weight; a lone remaining destination loses its weight. It
// returns dsts unchanged when none names meshcanary's subsets. The
// destinations are modified: dsts must belong to a copy.
func collapse[D routeDestination](dsts []D, t Target, setWeight func(D, int32)) []D {
	var out []D
	var into D
	merged := false
	for _, d := range dsts {
		dest := d.GetDestination()
		switch {
		case !MatchesHost(dest.GetHost(), t) || !isOurSubset(dest.GetSubset()):
			out = append(out, d)
		case !merged:
			dest.Subset = ""
			into, merged = d, true
			out = append(out, d)
		default:
			setWeight(into, into.GetWeight()+d.GetWeight())
		}
	}
	if !merged {
		return dsts
	}
	if len(out) == 1 {
		setWeight(out[0], 0)
	}
	return out
}
