package gates

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates/promql"
	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// cmpSpecs compares specs, templates by their text.
var cmpSpecs = cmp.Options{
	cmp.Comparer(func(a, b promql.Template) bool { return a.String() == b.String() }),
	cmpopts.EquateEmpty(),
	cmpopts.EquateApprox(0, 1e-12),
}

func mustCondition(t *testing.T, src string) promql.Condition {
	t.Helper()
	c, err := promql.ParseCondition(src)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseReadsEveryGateKey(t *testing.T) {
	def := seqtest.Design{Tolerance: 1, Detect: 3, Alpha: 0.01, Beta: 0.05}
	floor := seqtest.Rate{Limit: 0.001, Detect: 0.01, Alpha: 0.01, Beta: 0.05}
	latency := func(q float64) seqtest.Rate {
		return seqtest.Rate{Limit: 1 - q, Detect: math.Min(2*(1-q), 1-q/2), Alpha: 0.01, Beta: 0.1}
	}
	query := `sum(rate(errors{app={{canary}}}[{{window}}])) < 1`
	for name, c := range map[string]struct {
		annotations map[string]string
		want        Specs
	}{
		"no gate annotations give no specs": {
			map[string]string{"meshcanary.io/steps": "5,50"}, nil,
		},
		"an absolute error-rate limit": {
			map[string]string{GatePrefix + "error-rate": "max=1.5%"},
			Specs{{Name: "error-rate max=1.5%", Key: GatePrefix + "error-rate", Value: "max=1.5%", Kind: KindErrorRate, Limit: 0.015,
				Rate: seqtest.Rate{Limit: 0.015, Detect: 0.03, Alpha: 0.01, Beta: 0.1}, MinRequests: 10}},
		},
		"a limit of zero: any error fails, a clean canary is caught at 1%": {
			map[string]string{GatePrefix + "error-rate": "max=0%"},
			Specs{{Name: "error-rate max=0%", Key: GatePrefix + "error-rate", Value: "max=0%", Kind: KindErrorRate,
				Rate: seqtest.Rate{Limit: 0, Detect: 0.01, Alpha: 0.01, Beta: 0.1}, MinRequests: 10}},
		},
		"an error-rate limit with a margin": {
			map[string]string{GatePrefix + "error-rate": "max=2%, margin=0.5%"},
			Specs{{Name: "error-rate max=2%", Key: GatePrefix + "error-rate", Value: "max=2%, margin=0.5%", Kind: KindErrorRate, Limit: 0.02,
				Rate: seqtest.Rate{Limit: 0.02, Detect: 0.025, Alpha: 0.01, Beta: 0.1}, MinRequests: 10}},
		},
		"a relative error rate with the defaults": {
			map[string]string{GatePrefix + "error-rate": "relative"},
			Specs{{Name: "error-rate relative=1x", Key: GatePrefix + "error-rate", Value: "relative", Kind: KindErrorRatio, Limit: 1, Test: def, Floor: floor, MinRequests: 10}},
		},
		"both error-rate checks with tuned settings": {
			map[string]string{
				GatePrefix + "error-rate":   " max=5% , relative=1.2x, detect=2x, power=0.95, floor=0.05% ",
				GatePrefix + "confidence":   "0.999",
				GatePrefix + "min-requests": "50",
			},
			Specs{
				{Name: "error-rate max=5%", Key: GatePrefix + "error-rate", Value: " max=5% , relative=1.2x, detect=2x, power=0.95, floor=0.05% ", Kind: KindErrorRate, Limit: 0.05,
					Rate: seqtest.Rate{Limit: 0.05, Detect: 0.1, Alpha: 0.001, Beta: 0.05}, MinRequests: 50},
				{Name: "error-rate relative=1.2x", Key: GatePrefix + "error-rate", Value: " max=5% , relative=1.2x, detect=2x, power=0.95, floor=0.05% ", Kind: KindErrorRatio, Limit: 1.2,
					Test:  seqtest.Design{Tolerance: 1.2, Detect: 2, Alpha: 0.001, Beta: 0.025},
					Floor: seqtest.Rate{Limit: 0.0005, Detect: 0.005, Alpha: 0.001, Beta: 0.025}, MinRequests: 50},
			},
		},
		"latency limits absolute and relative": {
			map[string]string{GatePrefix + "latency": "p99<500ms, p50 < 1.2x, p99.9<2s"},
			Specs{
				{Name: "latency p50<1.2x", Key: GatePrefix + "latency", Value: "p99<500ms, p50 < 1.2x, p99.9<2s", Kind: KindLatency, Quantile: 0.5, Limit: 1.2, Ratio: true, Rate: latency(0.5), MinRequests: 10},
				{Name: "latency p99.9<2s", Key: GatePrefix + "latency", Value: "p99<500ms, p50 < 1.2x, p99.9<2s", Kind: KindLatency, Quantile: 0.999, Limit: 2000, Rate: latency(0.999), MinRequests: 10},
				{Name: "latency p99<500ms", Key: GatePrefix + "latency", Value: "p99<500ms, p50 < 1.2x, p99.9<2s", Kind: KindLatency, Quantile: 0.99, Limit: 500, Rate: latency(0.99), MinRequests: 10},
			},
		},
		"cpu and memory ratios": {
			map[string]string{GatePrefix + "cpu": "<1.5x", GatePrefix + "memory": "< 2x"},
			Specs{
				{Name: "cpu <1.5x", Key: GatePrefix + "cpu", Value: "<1.5x", Kind: KindCPU, Limit: 1.5, Ratio: true},
				{Name: "memory <2x", Key: GatePrefix + "memory", Value: "< 2x", Kind: KindMemory, Limit: 2, Ratio: true},
			},
		},
		"a query gate": {
			map[string]string{GatePrefix + "app-errors": query},
			Specs{{Name: "app-errors", Key: GatePrefix + "app-errors", Value: query, Kind: KindQuery, Condition: mustCondition(t, query)}},
		},
		"a webhook": {
			map[string]string{GatePrefix + "webhook.approval": "https://hooks.example.com/approve"},
			Specs{{Name: "webhook.approval", Key: GatePrefix + "webhook.approval", Value: "https://hooks.example.com/approve", Kind: KindWebhook, URL: "https://hooks.example.com/approve"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			got, probs := Parse(c.annotations)
			if len(probs) > 0 {
				t.Fatalf("problems: %v", probs)
			}
			if diff := cmp.Diff(c.want, got, cmpSpecs); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReportsEveryInvalidKey(t *testing.T) {
	for name, c := range map[string]struct {
		key, value string
		valid      string // start of Problem.Valid
	}{
		"a percentage without %":              {"error-rate", "max=1", "comma-separated clauses"},
		"an error rate above 100%":            {"error-rate", "max=101%", "comma-separated clauses"},
		"an unknown error-rate clause":        {"error-rate", "relative, strict", "comma-separated clauses"},
		"detect without relative":             {"error-rate", "max=1%, detect=3x", "comma-separated clauses"},
		"margin without max":                  {"error-rate", "relative, margin=1%", "comma-separated clauses"},
		"floor without relative":              {"error-rate", "max=1%, floor=1%", "comma-separated clauses"},
		"a margin of zero":                    {"error-rate", "max=1%, margin=0%", "comma-separated clauses"},
		"a limit plus margin of 100%":         {"error-rate", "max=60%, margin=40%", "comma-separated clauses"},
		"a floor of one half":                 {"error-rate", "relative, floor=50%", "comma-separated clauses"},
		"detect not above the tolerance":      {"error-rate", "relative=2x, detect=1.5x", "comma-separated clauses"},
		"a power of one":                      {"error-rate", "relative, power=1", "comma-separated clauses"},
		"an empty error-rate":                 {"error-rate", "", "comma-separated clauses"},
		"a duplicated clause":                 {"error-rate", "max=1%, max=2%", "comma-separated clauses"},
		"a latency without percentile":        {"latency", "<500ms", "comma-separated clauses \"p<percentile>"},
		"a latency percentile of 100":         {"latency", "p100<1s", "comma-separated clauses \"p<percentile>"},
		"a latency limit without unit":        {"latency", "p99<500", "comma-separated clauses \"p<percentile>"},
		"a latency limit above, not below":    {"latency", "p99>500ms", "comma-separated clauses \"p<percentile>"},
		"a cpu ratio without x":               {"cpu", "<1.5", `"<<ratio>x"`},
		"a memory ratio of zero":              {"memory", "<0x", `"<<ratio>x"`},
		"a negative min-requests":             {"min-requests", "-1", "a whole number"},
		"a confidence of one":                 {"confidence", "1", "a probability in [0.5, 1)"},
		"a confidence in percent":             {"confidence", "99%", "a probability in [0.5, 1)"},
		"a webhook with credentials":          {"webhook.approval", "https://user:pw@hooks.example.com/", "an absolute http(s) URL"},
		"a webhook that is not http":          {"webhook.approval", "file:///etc/passwd", "an absolute http(s) URL"},
		"a webhook name with capitals":        {"webhook.Approval", "https://hooks.example.com/", "a webhook key"},
		"a gate name with an underscore":      {"error_rate", "max=1%", "a gate name"},
		"a query that does not parse":         {"app-errors", "sum(rate(x)) < 1", `a query gate "<PromQL template> <op> <number>"`},
		"a query without threshold":           {"app-errors", "sum(x)", `a query gate "<PromQL template> <op> <number>"`},
		"a query with an unknown placeholder": {"app-errors", "sum(x{a={{pod}}}) < 1", `a query gate "<PromQL template> <op> <number>"`},
	} {
		t.Run(name, func(t *testing.T) {
			key := GatePrefix + c.key
			specs, probs := Parse(map[string]string{key: c.value})
			if len(specs) != 0 {
				t.Errorf("specs %v from an invalid annotation", specs)
			}
			if len(probs) != 1 {
				t.Fatalf("problems %v, want one", probs)
			}
			want := config.Problem{Key: key, Value: c.value, Valid: probs[0].Valid}
			if diff := cmp.Diff(want, probs[0]); diff != "" || !startsWith(probs[0].Valid, c.valid) {
				t.Errorf("problem %v, want key and value (-want +got):\n%s\nand a Valid starting with %q", probs[0], diff, c.valid)
			}
		})
	}
}

func TestParseKeepsTheValidGatesNextToAnInvalidOne(t *testing.T) {
	specs, probs := Parse(map[string]string{
		GatePrefix + "error-rate": "max=1%",
		GatePrefix + "latency":    "p99<fast",
	})
	if len(specs) != 1 || specs[0].Kind != KindErrorRate || len(probs) != 1 || probs[0].Key != GatePrefix+"latency" {
		t.Errorf("specs %v, problems %v", specs, probs)
	}
}

func startsWith(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }
