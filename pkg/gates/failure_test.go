package gates

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/gates/promql"
)

func TestEvaluateHoldsWhenPrometheusFails(t *testing.T) {
	s := specs(t, map[string]string{
		GatePrefix + KeyErrorRate: "max=1%", GatePrefix + KeyLatency: "p99<1s",
		GatePrefix + KeyCPU: "<2x", GatePrefix + "errors": "sum(x{app={{canary}}}) < 1",
	})
	for name, c := range map[string]struct {
		setup  func(*testEvaluator)
		reason string
	}{
		"when it is unreachable":    {func(te *testEvaluator) { te.prom.srv.Close() }, "connection refused"},
		"when it is slow":           {func(te *testEvaluator) { te.prom.delay = 300 * time.Millisecond }, "context deadline exceeded"},
		"when it answers an error":  {func(te *testEvaluator) { te.prom.status = 503 }, "server error: 503"},
		"when it refuses the query": {func(te *testEvaluator) { te.prom.status = 422 }, "injected failure"},
		"when it answers a scalar":  {func(te *testEvaluator) { te.prom.scalars[promql.Requests("shop")] = 1 }, "expected a vector"},
	} {
		t.Run(name, func(t *testing.T) {
			te := newTestEvaluator(t, func(o *Options) { o.QueryTimeout = 100 * time.Millisecond })
			c.setup(te)
			for _, v := range te.Evaluate(context.Background(), s, release("web", t0.Add(time.Minute))) {
				if v.Result != Hold || v.Value != nil {
					t.Errorf("%s: %+v, want Hold without value", v.Gate, v)
				}
				if strings.HasPrefix(v.Gate, KeyErrorRate) && !strings.Contains(v.Reason, c.reason) {
					t.Errorf("%s: reason %q does not say %q", v.Gate, v.Reason, c.reason)
				}
			}
		})
	}
}

func TestEvaluateWithoutPrometheusHoldsAndCheckSaysWhy(t *testing.T) {
	e, err := NewEvaluator(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := specs(t, map[string]string{GatePrefix + KeyErrorRate: "max=1%"})
	v := e.Evaluate(context.Background(), s, release("web", t0))
	if v[0].Result != Hold || !strings.Contains(v[0].Reason, "no Prometheus address") {
		t.Errorf("verdict %+v", v[0])
	}
	if probs := e.Check(s); len(probs) != 1 || probs[0].Key != GatePrefix+KeyErrorRate {
		t.Errorf("Check = %v, want one problem for the error-rate gate", probs)
	}
}
