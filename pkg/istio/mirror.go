package istio

import (
	"slices"

	apinetworkingv1 "istio.io/api/networking/v1"
)

// addMirror adds meshcanary's mirror of share of the route's traffic to
// dst, as an entry of the route's mirrors. Istio refuses a route with both
// mirror and mirrors, so a user's mirror (and its percentage) moves into
// mirrors behind meshcanary's entry; that order is how unmirror knows to
// move it back (a deprecated integer mirrorPercent comes back as
// mirrorPercentage). A user's mirrors list gets meshcanary's entry appended.
func addMirror(route *apinetworkingv1.HTTPRoute, dst *apinetworkingv1.Destination, share Share) {
	ours := &apinetworkingv1.HTTPMirrorPolicy{
		Destination: dst,
		Percentage:  &apinetworkingv1.Percent{Value: share.percent()},
	}
	if route.Mirror == nil {
		route.Mirrors = append(route.Mirrors, ours)
		return
	}
	user := &apinetworkingv1.HTTPMirrorPolicy{Destination: route.Mirror, Percentage: route.MirrorPercentage}
	//lint:ignore SA1019 a user's VirtualService may still set the deprecated field; it is moved to mirrorPercentage
	if percent := route.MirrorPercent; user.Percentage == nil && percent != nil {
		user.Percentage = &apinetworkingv1.Percent{Value: float64(percent.GetValue())}
	}
	route.Mirrors = []*apinetworkingv1.HTTPMirrorPolicy{ours, user}
	//lint:ignore SA1019 the deprecated field is cleared with the others it was moved from
	route.Mirror, route.MirrorPercentage, route.MirrorPercent = nil, nil, nil
}

// unmirror removes meshcanary's mirror from the route (a copy): the entry
// of mirrors that names a canary subset of the service (see
// isMirrorSubset), this release's or one a promotion swapped since. When it
// is first of exactly two, addMirror moved the user's mirror behind it, and
// the user's entry becomes the route's mirror and mirrorPercentage again.
func unmirror(route *apinetworkingv1.HTTPRoute, t Target) {
	i := slices.IndexFunc(route.Mirrors, func(m *apinetworkingv1.HTTPMirrorPolicy) bool {
		d := m.GetDestination()
		return MatchesHost(d.GetHost(), t) && isMirrorSubset(d.GetSubset())
	})
	switch {
	case i < 0:
		return
	case i == 0 && len(route.Mirrors) == 2:
		user := route.Mirrors[1]
		route.Mirror, route.MirrorPercentage, route.Mirrors = user.GetDestination(), user.GetPercentage(), nil
	case len(route.Mirrors) == 1:
		route.Mirrors = nil
	default:
		route.Mirrors = slices.Delete(route.Mirrors, i, i+1)
	}
}
