package istio

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	apinetworkingv1 "istio.io/api/networking/v1"
)

// ManagedRoutePrefix starts the name of every http route meshcanary inserts
// into a VirtualService (A/B and sticky-session routes). DesiredVirtualService
// and RestoredVirtualService drop such routes before they rebuild, so a
// user's own route must not be named with it.
const ManagedRoutePrefix = "meshcanary-"

// Kinds of managed routes, the second part of their names.
const (
	abRoute     = "ab"
	stickyRoute = "sticky"
)

// managed reports whether meshcanary inserted the route.
func managed(route *apinetworkingv1.HTTPRoute) bool {
	return strings.HasPrefix(route.GetName(), ManagedRoutePrefix)
}

// withoutStrategy is routes (from a copy) without the routes meshcanary
// inserted and without its mirror, ready to be rebuilt or restored.
func withoutStrategy(routes []*apinetworkingv1.HTTPRoute, t Target) []*apinetworkingv1.HTTPRoute {
	var out []*apinetworkingv1.HTTPRoute
	for _, route := range routes {
		if managed(route) {
			continue
		}
		unmirror(route, t)
		out = append(out, route)
	}
	return out
}

// httpBuilder rebuilds the http routes of a VirtualService for a Routing.
type httpBuilder struct {
	r Routing
	s split
}

// active reports whether the strategy applies: its routes and mirror name
// the canary only while the canary has weight or the caller says it is
// ready, so they never name a subset that is not in the DestinationRule.
func (b httpBuilder) active() bool {
	return b.s.canary > 0 || b.r.CanaryReady
}

// build splits every route for the service in routes (from a copy, without
// managed routes) and, while the strategy is active, inserts its A/B and
// sticky routes just above each one and decorates the split with the
// cookie and the mirror. Every other route is kept as it is, in order.
func (b httpBuilder) build(routes []*apinetworkingv1.HTTPRoute) []*apinetworkingv1.HTTPRoute {
	var out []*apinetworkingv1.HTTPRoute
	for i, route := range routes {
		if !splittable(route.Route, b.r.Target) {
			out = append(out, route)
			continue
		}
		if b.active() {
			out = append(out, b.canaryRoutes(route, i)...)
		}
		route.Route = b.s.http(route.Route, b.r.Target)
		if b.active() {
			b.decorate(route)
		}
		out = append(out, route)
	}
	return out
}

// canaryRoutes are the managed routes inserted above the route for the
// service at index i: the A/B route, then the sticky-session route.
func (b httpBuilder) canaryRoutes(route *apinetworkingv1.HTTPRoute, i int) []*apinetworkingv1.HTTPRoute {
	st := b.r.Shaping
	var out []*apinetworkingv1.HTTPRoute
	if len(st.Match) > 0 {
		out = appendNonNil(out, toCanary(route, b.r.CanarySubset(), abRoute, i, st.Match))
	}
	if st.Sticky != nil {
		out = appendNonNil(out, toCanary(route, b.r.CanarySubset(), stickyRoute, i, []Condition{st.Sticky.condition()}))
	}
	return out
}

func appendNonNil(routes []*apinetworkingv1.HTTPRoute, r *apinetworkingv1.HTTPRoute) []*apinetworkingv1.HTTPRoute {
	if r == nil {
		return routes
	}
	return append(routes, r)
}

// toCanary is a copy of the route for the service at index i, named for
// kind, that sends the requests meeting both one of its matches and every
// condition to the canary's subset alone (with the host, port and header
// rules of its first destination); its retries, timeouts, faults and the
// user's mirrors are kept. A match that already tests a header or query
// parameter a condition tests cannot be AND-ed with it in one Istio match
// and is left out; nil when no match is left.
func toCanary(route *apinetworkingv1.HTTPRoute, subset, kind string, i int, conds []Condition) *apinetworkingv1.HTTPRoute {
	matches := andMatches(route.GetMatch(), conds)
	if len(matches) == 0 {
		return nil
	}
	c := proto.CloneOf(route)
	c.Name = managedName(kind, route.GetName(), i)
	c.Match = matches
	first := route.Route[0]
	c.Route = []*apinetworkingv1.HTTPRouteDestination{{
		Destination: subsetOf(first.GetDestination(), subset),
		Headers:     proto.CloneOf(first.GetHeaders()),
	}}
	return c
}

// managedName names the managed route of kind for the route named name (or,
// without a name, at index i).
func managedName(kind, name string, i int) string {
	if name == "" {
		name = fmt.Sprintf("http-%d", i)
	}
	return ManagedRoutePrefix + kind + "-" + name
}

// andMatches ANDs every condition into each of the user's matches (one
// match-all when there are none), leaving out the matches that already
// test a header or query parameter a condition tests.
func andMatches(user []*apinetworkingv1.HTTPMatchRequest, conds []Condition) []*apinetworkingv1.HTTPMatchRequest {
	if len(user) == 0 {
		user = []*apinetworkingv1.HTTPMatchRequest{{}}
	}
	var out []*apinetworkingv1.HTTPMatchRequest
	for _, m := range user {
		if a := and(m, conds); a != nil {
			out = append(out, a)
		}
	}
	return out
}

// and is a copy of m that also requires every condition, or nil when m
// already tests a header or query parameter that a condition tests.
func and(m *apinetworkingv1.HTTPMatchRequest, conds []Condition) *apinetworkingv1.HTTPMatchRequest {
	a := proto.CloneOf(m)
	for _, c := range conds {
		tests := &a.Headers
		if c.In == InQuery {
			tests = &a.QueryParams
		}
		if _, taken := (*tests)[c.Name]; taken {
			return nil
		}
		if *tests == nil {
			*tests = map[string]*apinetworkingv1.StringMatch{}
		}
		(*tests)[c.Name] = c.stringMatch()
	}
	return a
}

// decorate adds to a split route the sticky cookie, on the canary's
// destination (a client the weights send to the canary gets it), and the
// mirror to the canary.
func (b httpBuilder) decorate(route *apinetworkingv1.HTTPRoute) {
	st := b.r.Shaping
	if st.Sticky != nil && len(route.Route) == 2 {
		addSetCookie(route.Route[1], *st.Sticky)
	}
	if st.Mirror != nil {
		first := route.Route[0].GetDestination()
		addMirror(route, subsetOf(first, b.r.CanarySubset()), *st.Mirror)
	}
}

// addSetCookie adds the cookie to the response headers of d, unless the
// user's header rules of the route already add a Set-Cookie header (Istio
// keeps one value per header name; the user's is kept).
func addSetCookie(d *apinetworkingv1.HTTPRouteDestination, s SessionCookie) {
	if d.Headers == nil {
		d.Headers = &apinetworkingv1.Headers{}
	}
	if d.Headers.Response == nil {
		d.Headers.Response = &apinetworkingv1.Headers_HeaderOperations{}
	}
	resp := d.Headers.Response
	for name := range resp.Add {
		if strings.EqualFold(name, "set-cookie") {
			return
		}
	}
	if resp.Add == nil {
		resp.Add = map[string]string{}
	}
	resp.Add["Set-Cookie"] = s.setCookie()
}
