package xds

import (
	"regexp"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"github.com/meshcanary/meshcanary/test/meshsim"
)

// routeMatches reports whether an Envoy route match applies to req: its path
// (prefix, exact path or RE2 regex, case sensitive unless the match says
// otherwise) and every header matcher (exact, prefix, suffix, contains or
// regex value, presence, inverted). A match with query parameter, gRPC or
// dynamic metadata conditions is not modelled and never applies.
func routeMatches(m *routev3.RouteMatch, req meshsim.Request) bool {
	if len(m.GetQueryParameters()) > 0 || m.GetGrpc() != nil || len(m.GetDynamicMetadata()) > 0 {
		return false
	}
	path := req.Path
	if path == "" {
		path = "/"
	}
	path, _, _ = strings.Cut(path, "?")
	if !pathMatches(m, path) {
		return false
	}
	for _, h := range m.GetHeaders() {
		if !headerMatches(h, req) {
			return false
		}
	}
	return true
}

// pathMatches applies the path specifier of a route match.
func pathMatches(m *routev3.RouteMatch, path string) bool {
	caseSensitive := m.GetCaseSensitive() == nil || m.GetCaseSensitive().GetValue()
	fold := func(s string) string {
		if caseSensitive {
			return s
		}
		return strings.ToLower(s)
	}
	switch {
	case m.GetPrefix() != "":
		return strings.HasPrefix(fold(path), fold(m.GetPrefix()))
	case m.GetPath() != "":
		return fold(path) == fold(m.GetPath())
	case m.GetSafeRegex() != nil:
		return fullMatch(m.GetSafeRegex().GetRegex(), path)
	case m.GetPathSeparatedPrefix() != "":
		p := fold(m.GetPathSeparatedPrefix())
		return fold(path) == p || strings.HasPrefix(fold(path), p+"/")
	}
	// An empty prefix matches every path.
	return m.GetPathSpecifier() != nil
}

// headerMatches applies one header matcher; the request's host is its
// service's FQDN, its method the request's, as the pseudo-headers
// :authority and :method.
func headerMatches(h *routev3.HeaderMatcher, req meshsim.Request) bool {
	value, present := requestHeader(req, strings.ToLower(h.GetName()))
	var ok bool
	switch {
	case h.GetPresentMatch():
		ok = present
	case h.GetStringMatch() != nil:
		ok = present && stringMatches(h.GetStringMatch(), value)
	default:
		// Other matchers (ranges, deprecated forms) are not modelled.
		return false
	}
	return ok != h.GetInvertMatch()
}

// requestHeader returns a header of req, pseudo-headers included.
func requestHeader(req meshsim.Request, name string) (string, bool) {
	switch name {
	case ":authority", "host":
		return req.Service.FQDN(), true
	case ":method":
		if req.Method == "" {
			return "GET", true
		}
		return req.Method, true
	case ":path":
		if req.Path == "" {
			return "/", true
		}
		return req.Path, true
	}
	v, ok := req.Headers[name]
	return v, ok
}

// stringMatches applies an Envoy string matcher.
func stringMatches(m *matcherv3.StringMatcher, v string) bool {
	if m.GetIgnoreCase() {
		v = strings.ToLower(v)
	}
	lower := func(s string) string {
		if m.GetIgnoreCase() {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return v == lower(p.Exact)
	case *matcherv3.StringMatcher_Prefix:
		return strings.HasPrefix(v, lower(p.Prefix))
	case *matcherv3.StringMatcher_Suffix:
		return strings.HasSuffix(v, lower(p.Suffix))
	case *matcherv3.StringMatcher_Contains:
		return strings.Contains(v, lower(p.Contains))
	case *matcherv3.StringMatcher_SafeRegex:
		return fullMatch(p.SafeRegex.GetRegex(), v)
	}
	return false
}

// fullMatch reports whether the RE2 expression expr matches all of s; an
// expression Go cannot compile never matches.
func fullMatch(expr, s string) bool {
	re, err := regexp.Compile("^(?:" + expr + ")$")
	return err == nil && re.MatchString(s)
}
