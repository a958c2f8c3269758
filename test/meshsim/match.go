package meshsim

import (
	"regexp"
	"strings"
	"sync"

	"istio.io/api/networking/v1alpha3"
	"k8s.io/apimachinery/pkg/labels"
)

// meshGateway is the gateway name of sidecar traffic.
const meshGateway = "mesh"

// routeMatches reports whether an HTTP route applies to the request: it has
// no match conditions or one of them (they are ORed) matches.
func routeMatches(matches []*v1alpha3.HTTPMatchRequest, req Request, port uint32) bool {
	if len(matches) == 0 {
		return true
	}
	for _, m := range matches {
		if requestMatches(m, req, port) {
			return true
		}
	}
	return false
}

// requestMatches reports whether every condition of one match block (they
// are ANDed) holds for the request.
func requestMatches(m *v1alpha3.HTTPMatchRequest, req Request, port uint32) bool {
	path, query := req.pathAndQuery()
	uri := m.GetUri()
	if m.GetIgnoreUriCase() {
		path, uri = strings.ToLower(path), lowerStringMatch(uri)
	}
	switch {
	case !gatewayAllowed(m.GetGateways(), req),
		!stringMatches(uri, path),
		!stringMatches(m.GetScheme(), "http"),
		!stringMatches(m.GetMethod(), req.method()),
		!stringMatches(m.GetAuthority(), requestHost(req)),
		m.GetPort() != 0 && m.GetPort() != port,
		m.GetSourceNamespace() != "" && m.GetSourceNamespace() != req.Source.Namespace,
		!labels.SelectorFromSet(m.GetSourceLabels()).Matches(labels.Set(req.Source.Labels)):
		return false
	}
	for name, sm := range m.GetHeaders() {
		v, ok := req.Headers[name]
		if !ok || !stringMatches(sm, v) {
			return false
		}
	}
	for name, sm := range m.GetWithoutHeaders() {
		if v, ok := req.Headers[name]; ok && stringMatches(sm, v) {
			return false
		}
	}
	for name, sm := range m.GetQueryParams() {
		if !query.Has(name) || !stringMatches(sm, query.Get(name)) {
			return false
		}
	}
	return true
}

// stringMatches evaluates an Istio StringMatch against a value: nil or empty
// matches anything present; exact, prefix and regex (RE2, matched against the
// whole value as Envoy's safe_regex does).
func stringMatches(sm *v1alpha3.StringMatch, v string) bool {
	switch t := sm.GetMatchType().(type) {
	case *v1alpha3.StringMatch_Exact:
		return v == t.Exact
	case *v1alpha3.StringMatch_Prefix:
		return strings.HasPrefix(v, t.Prefix)
	case *v1alpha3.StringMatch_Regex:
		re, err := compiled(t.Regex)
		return err == nil && re.MatchString(v)
	}
	return true
}

// lowerStringMatch returns sm with an exact or prefix value in lower case,
// for ignoreUriCase.
func lowerStringMatch(sm *v1alpha3.StringMatch) *v1alpha3.StringMatch {
	switch t := sm.GetMatchType().(type) {
	case *v1alpha3.StringMatch_Exact:
		return &v1alpha3.StringMatch{MatchType: &v1alpha3.StringMatch_Exact{Exact: strings.ToLower(t.Exact)}}
	case *v1alpha3.StringMatch_Prefix:
		return &v1alpha3.StringMatch{MatchType: &v1alpha3.StringMatch_Prefix{Prefix: strings.ToLower(t.Prefix)}}
	}
	return sm
}

// regexCache holds compiled full-match regexes by source; a VirtualService's
// regexes are few and reused for every request.
var regexCache sync.Map

// compiled returns the full-match regexp for an Istio regex.
func compiled(expr string) (*regexp.Regexp, error) {
	if re, ok := regexCache.Load(expr); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		return nil, err
	}
	regexCache.Store(expr, re)
	return re, nil
}
