package promql

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The placeholders a template may use. Each expands to one escaped PromQL
// literal, so a template writes app={{canary}}, never app="{{canary}}".
const (
	// PlaceholderNamespace is the namespace, as a string literal.
	PlaceholderNamespace = "namespace"
	// PlaceholderCanary is the canary workload (the user's Deployment).
	PlaceholderCanary = "canary"
	// PlaceholderPrimary is the primary workload.
	PlaceholderPrimary = "primary"
	// PlaceholderService is the Service being split.
	PlaceholderService = "service"
	// PlaceholderCanaryPods is a regular expression matching the canary's
	// pods, for pod=~{{canary_pods}}.
	PlaceholderCanaryPods = "canary_pods"
	// PlaceholderPrimaryPods matches the primary's pods.
	PlaceholderPrimaryPods = "primary_pods"
	// PlaceholderWindow is the time since the step began, as a duration
	// literal, for ranges: rate(x[{{window}}]).
	PlaceholderWindow = "window"
)

// placeholders lists every placeholder, in the order of the docs.
var placeholders = []string{
	PlaceholderNamespace, PlaceholderCanary, PlaceholderPrimary, PlaceholderService,
	PlaceholderCanaryPods, PlaceholderPrimaryPods, PlaceholderWindow,
}

// Values are what the placeholders of a template stand for.
type Values struct {
	Namespace, Canary, Primary, Service string
	Window                              time.Duration
}

// Template is a checked query template.
type Template struct {
	src   string
	holes []hole
}

// hole is one placeholder occurrence: its byte range and name.
type hole struct {
	pos, end int
	name     string
}

// templateOf checks the tokens of src (ending with tokEOF) as a template.
func templateOf(src string, toks []token) (Template, error) {
	t := Template{src: src}
	typed := slices.Clone(toks)
	for i, tok := range toks {
		switch tok.kind {
		case tokString:
			if strings.Contains(tok.text, "{{") {
				return Template{}, fmt.Errorf("at offset %d: placeholders stand for whole literals; write label={{name}}, not label=\"{{name}}\"", tok.pos)
			}
		case tokPlaceholder:
			if !slices.Contains(placeholders, tok.text) {
				return Template{}, fmt.Errorf("at offset %d: unknown placeholder {{%s}}; known: {{%s}}", tok.pos, tok.text, strings.Join(placeholders, "}}, {{"))
			}
			t.holes = append(t.holes, hole{pos: tok.pos, end: tok.end, name: tok.text})
			typed[i].kind = tokString
			if tok.text == PlaceholderWindow {
				typed[i].kind = tokDuration
			}
			typed[i].text = `"x"`
		}
	}
	vt, err := check(typed)
	if err != nil {
		return Template{}, err
	}
	if err := resultType(vt); err != nil {
		return Template{}, err
	}
	return t, nil
}

// Validate checks that query, a complete query without placeholders, is a
// PromQL expression returning a scalar or an instant vector.
func Validate(query string) error {
	toks, err := lex(query)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if t.kind == tokPlaceholder {
			return fmt.Errorf("at offset %d: unexpected placeholder {{%s}}", t.pos, t.text)
		}
	}
	vt, err := check(toks)
	if err != nil {
		return err
	}
	return resultType(vt)
}

// resultType accepts the types a gate can compare with a threshold.
func resultType(vt valueType) error {
	if vt != typeScalar && vt != typeVector {
		return fmt.Errorf("the query returns %s; a gate needs a scalar or an instant vector", vt.article())
	}
	return nil
}

// String returns the template as written.
func (t Template) String() string { return t.src }

// Expand fills the placeholders in with escaped literals of v.
func (t Template) Expand(v Values) string {
	var b strings.Builder
	last := 0
	for _, h := range t.holes {
		b.WriteString(t.src[last:h.pos])
		b.WriteString(v.literal(h.name))
		last = h.end
	}
	b.WriteString(t.src[last:])
	return b.String()
}

func (v Values) literal(name string) string {
	switch name {
	case PlaceholderNamespace:
		return String(v.Namespace)
	case PlaceholderCanary:
		return String(v.Canary)
	case PlaceholderPrimary:
		return String(v.Primary)
	case PlaceholderService:
		return String(v.Service)
	case PlaceholderCanaryPods:
		return String(PodRegex(v.Canary))
	case PlaceholderPrimaryPods:
		return String(PodRegex(v.Primary))
	}
	return Duration(v.Window)
}
