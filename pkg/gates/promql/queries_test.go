package promql

import (
	"github.com/meshcanary/meshcanary/internal/golden"

	"testing"
	"time"
)

func TestBatchQueriesMatchTheirGoldenFiles(t *testing.T) {
	for name, q := range map[string]string{
		"requests.promql":  Requests("shop"),
		"durations.promql": Durations("shop"),
		"cpu.promql":       CPU("shop", 2*time.Minute),
		"memory.promql":    Memory("shop"),
	} {
		t.Run(name, func(t *testing.T) {
			golden.Check(t, name, q+"\n")
			if err := Validate(q); err != nil {
				t.Errorf("the batch query does not parse: %v", err)
			}
		})
	}
}

func TestTemplateExpansionMatchesItsGoldenFile(t *testing.T) {
	tmpl, err := parseTemplate(`sum(rate(http_errors_total{namespace={{namespace}}, pod=~{{canary_pods}}}[{{window}}]))
  / sum(rate(http_requests_total{namespace={{namespace}}, app={{canary}}, service={{service}}}[{{window}}]))
  - on() sum(rate(http_errors_total{namespace={{namespace}}, pod=~{{primary_pods}}, app={{primary}}}[{{window}}]))`)
	if err != nil {
		t.Fatal(err)
	}
	got := tmpl.Expand(Values{Namespace: "shop", Canary: "web", Primary: "web-primary", Service: "web", Window: 95 * time.Second})
	golden.Check(t, "custom.promql", got+"\n")
	if err := Validate(got); err != nil {
		t.Errorf("the expansion does not parse: %v", err)
	}
}

func TestDurationLiterals(t *testing.T) {
	for name, c := range map[string]struct {
		d    time.Duration
		want string
	}{
		"whole seconds render as seconds":          {90 * time.Second, "90s"},
		"fractions render as rounded-up ms":        {1500*time.Millisecond + 1, "1501ms"},
		"zero renders as the smallest literal":     {0, "1ms"},
		"negative renders as the smallest literal": {-time.Minute, "1ms"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := Duration(c.d); got != c.want {
				t.Errorf("Duration(%v) = %q, want %q", c.d, got, c.want)
			}
		})
	}
}
