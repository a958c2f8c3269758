package promql

import (
	"regexp"
	"testing"
	"time"
)

// hostile are values an annotation author might try to smuggle into a
// query through a name.
var hostile = map[string]string{
	"a closing quote and brace":      `web"} or vector(1) or x{a="`,
	"a backslash before the quote":   `web\"} or vector(1) #`,
	"single and back quotes":         "web'`} or vector(1)",
	"a newline and a comment":        "web\"}\n# or vector(1)",
	"a placeholder":                  `{{namespace}}`,
	"regex metacharacters":           `.*|web`,
	"invalid UTF-8":                  "web\xff\xfe\"}",
	"control characters":             "web\x00\x1b[2J",
	"unicode quotes and line breaks": "web\u2028\u201d}",
}

// shape is the token kinds and texts of a query with every string literal
// reduced to its kind: two queries with the same shape differ only in the
// values of their literals.
func shape(t *testing.T, q string) []string {
	t.Helper()
	toks, err := lex(q)
	if err != nil {
		t.Fatalf("lex(%q): %v", q, err)
	}
	var out []string
	for _, tok := range toks {
		if tok.kind == tokString {
			out = append(out, "STRING")
			continue
		}
		out = append(out, tok.text)
	}
	return out
}

func TestHostileValuesCannotChangeTheShapeOfATemplate(t *testing.T) {
	tmpl, err := parseTemplate(`sum(rate(x{namespace={{namespace}}, app={{canary}}, p=~{{canary_pods}}, q=~{{primary_pods}}, s={{service}}, w={{primary}}}[{{window}}])) > 0`)
	if err != nil {
		t.Fatal(err)
	}
	benign := shape(t, tmpl.Expand(Values{Namespace: "ns", Canary: "web", Primary: "p", Service: "s", Window: time.Minute}))
	for name, v := range hostile {
		t.Run(name, func(t *testing.T) {
			q := tmpl.Expand(Values{Namespace: v, Canary: v, Primary: v, Service: v, Window: time.Minute})
			if got := shape(t, q); len(got) != len(benign) {
				t.Fatalf("expansion %q has %d tokens, want %d", q, len(got), len(benign))
			}
			if diff := cmpSlices(shape(t, q), benign); diff != "" {
				t.Errorf("expansion %q changed shape: %s", q, diff)
			}
			if err := Validate(q); err != nil {
				t.Errorf("expansion %q does not parse: %v", q, err)
			}
		})
	}
}

func TestStringLiteralsRoundTripEveryValue(t *testing.T) {
	for name, v := range hostile {
		t.Run(name, func(t *testing.T) {
			toks, err := lex(String(v))
			if err != nil || len(toks) != 2 || toks[0].kind != tokString {
				t.Fatalf("String(%q) = %s is not one string token: %v %v", v, String(v), toks, err)
			}
			got, err := unquote(toks[0].text)
			if err != nil || got != v {
				t.Errorf("unquote(String(%q)) = %q, %v", v, got, err)
			}
		})
	}
}

func TestPodRegexMatchesOnlyTheDeploymentsOwnPods(t *testing.T) {
	canary := regexp.MustCompile("^(?:" + PodRegex("web") + ")$")
	primary := regexp.MustCompile("^(?:" + PodRegex("web-primary") + ")$")
	for name, c := range map[string]struct {
		pod             string
		canary, primary bool
	}{
		"a canary pod":                        {"web-5d9f8b7c4-x2x7q", true, false},
		"a primary pod":                       {"web-primary-6c8d5f9b8-bcdfg", false, true},
		"a pod of another Deployment web-api": {"web-api-5d9f8b7c4-x2x7q", false, false},
		"a StatefulSet pod web-x-0":           {"web-x-0", false, false},
		"a pod whose suffix has vowels":       {"web-5d9f8b7c4-aeiou", false, false},
		"a pod of a Deployment named web.":    {"webx5d9f8b7c4-x2x7q", false, false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := canary.MatchString(c.pod); got != c.canary {
				t.Errorf("canary regex matches %q: %v, want %v", c.pod, got, c.canary)
			}
			if got := primary.MatchString(c.pod); got != c.primary {
				t.Errorf("primary regex matches %q: %v, want %v", c.pod, got, c.primary)
			}
		})
	}
	if !regexp.MustCompile("^(?:"+PodRegex("a.b")+")$").MatchString("a.b-5d9f8b7c4-x2x7q") ||
		regexp.MustCompile("^(?:"+PodRegex("a.b")+")$").MatchString("axb-5d9f8b7c4-x2x7q") {
		t.Error("regex metacharacters in the Deployment name are not escaped")
	}
}

func cmpSlices(a, b []string) string {
	for i := range a {
		if a[i] != b[i] {
			return "token " + a[i] + " instead of " + b[i]
		}
	}
	return ""
}
