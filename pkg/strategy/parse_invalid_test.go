package strategy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// Problem texts the tests expect.
const (
	wantMatch      = `"exact:<value>", "prefix:<value>" or "regex:<RE2 expression matching the whole value>", e.g. "exact:insider"`
	wantHeaderName = `a lowercase header name after meshcanary.io/strategy.header. (letters, digits, "-" and "_"), ` +
		`as Istio matches lowercase header names only, e.g. meshcanary.io/strategy.header.x-canary`
	wantOneCookie = `one condition on cookies only: Istio matches one expression on the cookie header, so use one ` +
		`meshcanary.io/strategy.cookie.<name> key and no meshcanary.io/strategy.header.cookie`
	wantShare = `a percentage of the traffic to copy to the canary, > 0 and <= 100 with at most 2 decimals, e.g. "0.5" or "10"`
)

// problem is the Problem for key (without config.Prefix).
func problem(key, value, valid string) config.Problem {
	return config.Problem{Key: config.Prefix + key, Value: value, Valid: valid}
}

func TestParseReportsInvalidStrategies(t *testing.T) {
	tests := map[string]struct {
		annotations map[string]string
		want        config.Problems
	}{
		"a header name with capitals is invalid, Istio matches lowercase names only": {
			annotations: annotations("strategy.header.X-Canary", "exact:insider"),
			want:        config.Problems{problem("strategy.header.X-Canary", "exact:insider", wantHeaderName)},
		},
		"a header name with a dot is invalid": {
			annotations: annotations("strategy.header.x.canary", "exact:insider"),
			want:        config.Problems{problem("strategy.header.x.canary", "exact:insider", wantHeaderName)},
		},
		"a header key without a name is invalid": {
			annotations: annotations("strategy.header.", "exact:insider"),
			want:        config.Problems{problem("strategy.header.", "exact:insider", wantHeaderName)},
		},
		"a value without an operator is invalid": {
			annotations: annotations("strategy.header.x-canary", "insider"),
			want:        config.Problems{problem("strategy.header.x-canary", "insider", wantMatch)},
		},
		"an operator Istio does not have is invalid": {
			annotations: annotations("strategy.query.preview", "suffix:1"),
			want:        config.Problems{problem("strategy.query.preview", "suffix:1", wantMatch)},
		},
		"a regex that is not RE2 is invalid and says why": {
			annotations: annotations("strategy.header.x-canary", "regex:(a"),
			want: config.Problems{problem("strategy.header.x-canary", "regex:(a",
				wantMatch+" (error parsing regexp: missing closing ): `(a`)")},
		},
		"a lookahead is not RE2": {
			annotations: annotations("strategy.header.x-canary", "regex:(?=a)"),
			want: config.Problems{problem("strategy.header.x-canary", "regex:(?=a)",
				wantMatch+" (error parsing regexp: invalid or unsupported Perl syntax: `(?=`)")},
		},
		"an empty prefix is invalid": {
			annotations: annotations("strategy.header.x-canary", "prefix:"),
			want:        config.Problems{problem("strategy.header.x-canary", "prefix:", wantMatch+" (an empty prefix matches everything)")},
		},
		"a value with a newline inside is invalid": {
			annotations: annotations("strategy.header.x-canary", "exact:a\nb"),
			want:        config.Problems{problem("strategy.header.x-canary", "exact:a\nb", wantMatch+" (the value holds a control character)")},
		},
		"a query key without a name is invalid": {
			annotations: annotations("strategy.query.", "exact:1"),
			want: config.Problems{problem("strategy.query.", "exact:1",
				"a query parameter name after meshcanary.io/strategy.query., e.g. meshcanary.io/strategy.query.preview")},
		},
		"an anchored cookie regex is invalid, it is matched against the whole value": {
			annotations: annotations("strategy.cookie.tier", "regex:^gold$"),
			want: config.Problems{problem("strategy.cookie.tier", "regex:^gold$",
				wantMatch+" (the cookie's expression is matched against its whole value: leave out ^ and $)")},
		},
		"a cookie name with a semicolon is invalid": {
			annotations: annotations("strategy.cookie.ti;er", "exact:gold"),
			want: config.Problems{problem("strategy.cookie.ti;er", "exact:gold",
				`a cookie name after meshcanary.io/strategy.cookie. of 1 to 64 letters, digits, "-", "_" and ".", e.g. meshcanary.io/strategy.cookie.tier`)},
		},
		"two conditions on the cookie header are invalid": {
			annotations: annotations("strategy.cookie.a", "exact:1", "strategy.header.cookie", "regex:.*"),
			want: config.Problems{
				problem("strategy.cookie.a", "exact:1", wantOneCookie),
				problem("strategy.header.cookie", "regex:.*", wantOneCookie),
			},
		},
		"match-only without a match is invalid": {
			annotations: annotations("strategy.schedule", "match-only"),
			want: config.Problems{problem("strategy.schedule", "match-only",
				`"weights", or "match-only" together with at least one meshcanary.io/strategy.header.<name>, `+
					`strategy.cookie.<name> or strategy.query.<name> key: match-only without a match sends nothing to the canary`)},
		},
		"an unknown schedule is invalid": {
			annotations: annotations("strategy.schedule", "canary"),
			want: config.Problems{problem("strategy.schedule", "canary",
				`"weights" (matching requests go to the canary, the rest follows the steps) or "match-only" (only matching requests go to the canary)`)},
		},
		"a mirror percentage with three decimals is invalid": {
			annotations: annotations("strategy.mirror", "0.001"),
			want:        config.Problems{problem("strategy.mirror", "0.001", wantShare)},
		},
		"a list of mirror percentages is invalid": {
			annotations: annotations("strategy.mirror", "5,10"),
			want:        config.Problems{problem("strategy.mirror", "5,10", wantShare)},
		},
		"a zero mirror percentage is invalid": {
			annotations: annotations("strategy.mirror", "0"),
			want:        config.Problems{problem("strategy.mirror", "0", wantShare)},
		},
		"a mirror duration under a second is invalid": {
			annotations: annotations("strategy.mirror", "1", "strategy.mirror-duration", "500ms"),
			want: config.Problems{problem("strategy.mirror-duration", "500ms",
				`a Go duration of at least 1s, e.g. "30s", "5m" or "1h30m"`)},
		},
		"yes is not a bool": {
			annotations: annotations("strategy.sticky", "yes"),
			want:        config.Problems{problem("strategy.sticky", "yes", `"true" or "false"`)},
		},
		"sticky sessions with match-only are invalid": {
			annotations: annotations("strategy.sticky", "true", "strategy.schedule", "match-only", "strategy.header.x", "exact:1"),
			want: config.Problems{problem("strategy.sticky", "true",
				`"false" with the match-only schedule: sticky sessions keep the clients the weights send to the canary, and match-only sends none by weight`)},
		},
		"a sticky cookie name with a space is invalid": {
			annotations: annotations("strategy.sticky-cookie", "a b"),
			want: config.Problems{problem("strategy.sticky-cookie", "a b",
				`a cookie name of 1 to 64 letters, digits, "-", "_" and ".", e.g. "meshcanary-canary"`)},
		},
		"a sticky max age in fractions of a second is invalid": {
			annotations: annotations("strategy.sticky-max-age", "1.5s"),
			want: config.Problems{problem("strategy.sticky-max-age", "1.5s",
				`a Go duration of whole seconds, at least 1s, e.g. "1h" or "24h"`)},
		},
		"an unknown strategy key is invalid": {
			annotations: annotations("strategy.mirrors", "5"),
			want: config.Problems{problem("strategy.mirrors", "5",
				"an unknown strategy key; valid keys are meshcanary.io/strategy. followed by header.<name>, cookie.<name>, "+
					"query.<name>, schedule, mirror, mirror-duration, sticky, sticky-cookie or sticky-max-age")},
		},
		"every problem is reported, ordered by key": {
			annotations: annotations("strategy.sticky", "maybe", "strategy.header.X", "exact:1", "strategy.mirror", "101"),
			want: config.Problems{
				problem("strategy.header.X", "exact:1", wantHeaderName),
				problem("strategy.mirror", "101", wantShare),
				problem("strategy.sticky", "maybe", `"true" or "false"`),
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, got := Parse(tc.annotations)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse problems (-want +got):\n%s", diff)
			}
		})
	}
}
