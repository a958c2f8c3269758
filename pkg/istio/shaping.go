package istio

import (
	"fmt"
	"regexp"
	"time"

	apinetworkingv1 "istio.io/api/networking/v1"
)

// Shaping is what a release adds to the routes beyond the weights of the
// split: A/B routes, a mirror and sticky sessions.
// The zero value adds nothing: the routes are the split alone.
type Shaping struct {
	// Match lists conditions that must all hold for a request to be sent to
	// the canary alone by an A/B route; empty adds no A/B route.
	Match []Condition
	// Mirror, when set, is the share of each split route's traffic that is
	// also copied to the canary; Envoy discards the canary's answers.
	Mirror *Share
	// Sticky, when set, is the cookie that keeps a client the weights sent
	// to the canary on the canary for the rest of the release.
	Sticky *SessionCookie
}

// Attribute is the part of a request a Condition reads.
type Attribute string

// The attributes a Condition can read.
const (
	// InHeader reads the request header Condition.Name, which must be
	// lowercase; cookies are in the header "cookie".
	InHeader Attribute = "header"
	// InQuery reads the query parameter Condition.Name.
	InQuery Attribute = "query"
)

// Operator is how a Condition compares the value it reads.
type Operator string

// The operators of a Condition, as Istio's StringMatch has them.
const (
	Exact  Operator = "exact"
	Prefix Operator = "prefix"
	// Regex is an RE2 expression that must match the whole value.
	Regex Operator = "regex"
)

// Condition is one test of a request for an A/B route, for example the
// header x-canary equal to "insider". The caller validates it (lowercase
// header names, RE2 regexes); DesiredVirtualService writes it as given.
type Condition struct {
	In    Attribute
	Name  string
	Op    Operator
	Value string
}

// Share is an exact percentage, Weight out of Total as the canary weight
// is written: 5 out of 1000 is 0.5 %.
type Share struct {
	Weight, Total int32
}

// percent is the share in percent as Istio's Percent holds it: the double
// nearest to 100 × Weight / Total, which prints as the exact decimal (0.5,
// 0.01) for every Total that is a power of ten.
func (s Share) percent() float64 {
	if s.Total <= 0 {
		return 0
	}
	return float64(100*int64(s.Weight)) / float64(s.Total)
}

// SessionCookie is a session cookie that keeps a client on the canary.
type SessionCookie struct {
	// Cookie is the cookie's name. Value is its value: it should change
	// with every release (the canary's pod-template-hash does), so that a
	// cookie of an earlier release does not select this one.
	Cookie, Value string
	// MaxAge is the cookie's lifetime, written in whole seconds.
	MaxAge time.Duration
}

// setCookie is the Set-Cookie header value that gives a client the cookie.
func (s SessionCookie) setCookie() string {
	return fmt.Sprintf("%s=%s; Max-Age=%d; Path=/", s.Cookie, s.Value, int64(s.MaxAge/time.Second))
}

// condition is the cookie as a condition on the "cookie" header: the
// cookie with exactly this value anywhere in the header.
func (s SessionCookie) condition() Condition {
	return Condition{In: InHeader, Name: "cookie", Op: Regex, Value: CookieRegex(s.Cookie, regexp.QuoteMeta(s.Value))}
}

// CookieRegex is the RE2 expression that matches a "cookie" header carrying
// the cookie name with a value matching valueRegex (an RE2 expression for
// the whole value, without anchors).
func CookieRegex(name, valueRegex string) string {
	return `^(.*?;\s*)?` + regexp.QuoteMeta(name) + `=(` + valueRegex + `)(;.*)?$`
}

// stringMatch is c's comparison as Istio writes it.
func (c Condition) stringMatch() *apinetworkingv1.StringMatch {
	switch c.Op {
	case Prefix:
		return &apinetworkingv1.StringMatch{MatchType: &apinetworkingv1.StringMatch_Prefix{Prefix: c.Value}}
	case Regex:
		return &apinetworkingv1.StringMatch{MatchType: &apinetworkingv1.StringMatch_Regex{Regex: c.Value}}
	}
	return &apinetworkingv1.StringMatch{MatchType: &apinetworkingv1.StringMatch_Exact{Exact: c.Value}}
}
