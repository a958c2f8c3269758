package strategy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
)

// annotations builds meshcanary.io/ annotations from keys (without
// config.Prefix) and values, alternating.
func annotations(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[config.Prefix+kv[i]] = kv[i+1]
	}
	return m
}

func TestParseValidStrategies(t *testing.T) {
	insider := istio.Condition{In: istio.InHeader, Name: "x-canary", Op: istio.Exact, Value: "insider"}
	tests := map[string]struct {
		annotations map[string]string
		want        Strategy
	}{
		"no strategy annotation is plain weights": {
			annotations: map[string]string{"meshcanary.io/steps": "5,10", "team": "books"},
		},
		"a header exact match sends insiders to the canary": {
			annotations: annotations("strategy.header.x-canary", "exact:insider"),
			want:        Strategy{Match: []istio.Condition{insider}},
		},
		"conditions on a header prefix, a header regex and a query parameter are AND-ed, ordered by key": {
			annotations: annotations(
				"strategy.query.preview", "exact:", "strategy.header.x-tier", " prefix:gold ",
				"strategy.header.user-agent", `regex:.*(iPhone|Android).*`),
			want: Strategy{Match: []istio.Condition{
				{In: istio.InHeader, Name: "user-agent", Op: istio.Regex, Value: `.*(iPhone|Android).*`},
				{In: istio.InHeader, Name: "x-tier", Op: istio.Prefix, Value: "gold"},
				{In: istio.InQuery, Name: "preview", Op: istio.Exact, Value: ""},
			}},
		},
		"a cookie with an exact value is found anywhere in the cookie header": {
			annotations: annotations("strategy.cookie.canary", "exact:always.on"),
			want: Strategy{Match: []istio.Condition{
				{In: istio.InHeader, Name: "cookie", Op: istio.Regex, Value: `^(.*?;\s*)?canary=(always\.on)(;.*)?$`},
			}},
		},
		"a cookie prefix and a cookie regex become expressions on the cookie value": {
			annotations: annotations("strategy.cookie.tier", "regex:gold|platinum", "strategy.header.x-canary", "exact:insider"),
			want: Strategy{Match: []istio.Condition{
				{In: istio.InHeader, Name: "cookie", Op: istio.Regex, Value: `^(.*?;\s*)?tier=(gold|platinum)(;.*)?$`},
				insider,
			}},
		},
		"a cookie prefix matches the rest of the value": {
			annotations: annotations("strategy.cookie.group", "prefix:beta"),
			want: Strategy{Match: []istio.Condition{
				{In: istio.InHeader, Name: "cookie", Op: istio.Regex, Value: `^(.*?;\s*)?group=(beta[^;]*)(;.*)?$`},
			}},
		},
		"match-only with a match keeps the rest on the primary": {
			annotations: annotations("strategy.header.x-canary", "exact:insider", "strategy.schedule", "match-only"),
			want:        Strategy{Match: []istio.Condition{insider}, MatchOnly: true},
		},
		"the weights schedule may be written out": {
			annotations: annotations("strategy.schedule", "weights"),
		},
		"a fractional mirror percentage is exact and mirrors for the default duration": {
			annotations: annotations("strategy.mirror", "0.5"),
			want:        Strategy{Mirror: &Mirror{Share: istio.Share{Weight: 5, Total: 1000}, Duration: 5 * time.Minute}},
		},
		"a mirror of 0.01 % for ten minutes": {
			annotations: annotations("strategy.mirror", "0.01", "strategy.mirror-duration", "10m"),
			want:        Strategy{Mirror: &Mirror{Share: istio.Share{Weight: 1, Total: 10000}, Duration: 10 * time.Minute}},
		},
		"sticky sessions take the default cookie and max age": {
			annotations: annotations("strategy.sticky", "true"),
			want:        Strategy{Sticky: &Sticky{Cookie: "meshcanary-canary", MaxAge: 24 * time.Hour}},
		},
		"sticky sessions with a cookie name and max age": {
			annotations: annotations("strategy.sticky", "true", "strategy.sticky-cookie", "shop_canary", "strategy.sticky-max-age", "1h30m"),
			want:        Strategy{Sticky: &Sticky{Cookie: "shop_canary", MaxAge: 90 * time.Minute}},
		},
		"sticky settings without sticky sessions have no effect": {
			annotations: annotations("strategy.sticky", "false", "strategy.sticky-cookie", "shop"),
		},
		"every shape together": {
			annotations: annotations("strategy.header.x-canary", "exact:insider", "strategy.mirror", "100",
				"strategy.mirror-duration", "90s", "strategy.sticky", "true"),
			want: Strategy{
				Match:  []istio.Condition{insider},
				Mirror: &Mirror{Share: istio.Share{Weight: 100, Total: 100}, Duration: 90 * time.Second},
				Sticky: &Sticky{Cookie: "meshcanary-canary", MaxAge: 24 * time.Hour},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, problems := Parse(tc.annotations)
			if len(problems) > 0 {
				t.Fatalf("Parse reported problems: %v", problems)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}
