package istio

import (
	"testing"
	"time"
)

// Strategies of the tests.
var (
	insiders = Condition{In: InHeader, Name: "x-canary", Op: Exact, Value: "insider"}
	betaTier = Condition{In: InHeader, Name: "x-beta", Op: Prefix, Value: "tr"}
	previewQ = Condition{In: InQuery, Name: "preview", Op: Regex, Value: "^(1|yes)$"}
	cookieAB = Condition{In: InHeader, Name: "cookie", Op: Regex, Value: CookieRegex("tier", "gold|platinum")}
	halfPct  = &Share{Weight: 5, Total: 1000}
	session  = &SessionCookie{Cookie: "meshcanary-canary", Value: "7d9f8c6b5", MaxAge: 24 * time.Hour}
)

// shaped is shop routed with weight out of total, the canary ready or not,
// and st.
func shaped(weight, total int32, ready bool, st Shaping) Routing {
	r := routing(weight, total)
	r.CanaryReady, r.Shaping = ready, st
	return r
}

func TestStrategyRoutesMatchGoldenFiles(t *testing.T) {
	tests := map[string]vsGolden{
		"a created VirtualService with a header match sends insiders to the canary above the weighted split": {
			golden: "created-vs-ab-5-of-100", routing: shaped(5, 100, true, Shaping{Match: []Condition{insiders}}),
		},
		"an A/B route is inserted above every route for the service and ANDs the user's matches, weights go on": {
			golden: "user-vs-header-match-ab-5-of-100", fixture: "user-vs-header-match.yaml",
			routing: shaped(5, 100, true, Shaping{Match: []Condition{insiders, previewQ}}),
		},
		"a match-only schedule keeps the split on the primary and sends only matching requests to the ready canary": {
			golden: "user-vs-header-match-match-only", fixture: "user-vs-header-match.yaml",
			routing: shaped(0, 100, true, Shaping{Match: []Condition{cookieAB}}),
		},
		"a user's match testing the same header as the A/B condition is left out of the A/B route": {
			golden: "user-vs-header-match-ab-same-header", fixture: "user-vs-header-match.yaml",
			routing: shaped(5, 100, true, Shaping{Match: []Condition{betaTier}}),
		},
		"a strategy while the canary has no weight and is not ready adds nothing": {
			golden: "user-vs-header-match-0-of-100", fixture: "user-vs-header-match.yaml",
			routing: shaped(0, 100, false, Shaping{Match: []Condition{insiders}, Mirror: halfPct, Sticky: session}),
		},
		"mirroring 0.5 % before the first step copies the primary's traffic and moves the user's mirror into mirrors": {
			golden: "user-vs-header-match-mirror-0.5", fixture: "user-vs-header-match.yaml",
			routing: shaped(0, 1000, true, Shaping{Mirror: halfPct}),
		},
		"mirroring a created VirtualService at 0.01 % is exact": {
			golden: "created-vs-mirror-0.01", routing: shaped(0, 10000, true, Shaping{Mirror: &Share{Weight: 1, Total: 10000}}),
		},
		"sticky sessions add a cookie-match route and set the cookie on the canary destination": {
			golden: "user-vs-header-match-sticky-5-of-100", fixture: "user-vs-header-match.yaml",
			routing: shaped(5, 100, true, Shaping{Sticky: session}),
		},
		"every shape together on a user VirtualService with its own routes": {
			golden: "user-vs-header-match-combined-25-of-100", fixture: "user-vs-header-match.yaml",
			routing: shaped(25, 100, true, Shaping{Match: []Condition{insiders}, Mirror: halfPct, Sticky: session}),
		},
		"every shape together leaves routes shared with another service or naming the user's subsets alone": {
			golden: "user-vs-mixed-combined-50-of-100", fixture: "user-vs-mixed.yaml",
			routing: shaped(50, 100, true, Shaping{Match: []Condition{previewQ}, Mirror: halfPct, Sticky: session}),
		},
		"every shape together on an FQDN destination keeps its host string and port": {
			golden: "user-vs-fqdn-combined-5-of-1000", fixture: "user-vs-fqdn.yaml",
			routing: shaped(5, 1000, true, Shaping{Match: []Condition{insiders}, Mirror: halfPct, Sticky: session}),
		},
	}
	checkVirtualServiceGoldens(t, tests)
}
