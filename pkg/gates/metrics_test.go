package gates

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshcanary/meshcanary/pkg/gates/promql"
)

func TestEvaluateRecordsMetricsAndForgetDropsThem(t *testing.T) {
	te := newTestEvaluator(t)
	te.prom.answerAt(promql.Requests("shop"), func(at time.Time) []sample {
		if at.IsZero() { // now; the baseline is at the step's start
			return []sample{reqSeries("web", "200", 1010)}
		}
		return []sample{reqSeries("web", "200", 1000)}
	})
	s := specs(t, map[string]string{GatePrefix + KeyErrorRate: "max=1%"})
	r := release("web", t0.Add(time.Minute))
	te.Evaluate(context.Background(), s, r)
	te.Evaluate(context.Background(), s, r)
	want := map[string]float64{
		`meshcanary_gate_evaluations_total{kind="error-rate",result="Hold"}`:                2,
		`meshcanary_gate_value{deployment="web",gate="error-rate max=1%",namespace="shop"}`: 0, // 0 errors in 10 requests
		`meshcanary_gate_query_duration_seconds{query="baseline"}`:                          1,
		`meshcanary_gate_query_duration_seconds{query="requests"}`:                          1,
	}
	if diff := cmp.Diff(want, gather(t, te.reg)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	te.Forget("shop", "web")
	for name := range gather(t, te.reg) {
		if strings.HasPrefix(name, "meshcanary_gate_value") {
			t.Errorf("%s kept after Forget", name)
		}
	}
	te.prom.queries()
	te.round()
	te.Evaluate(context.Background(), s, r)
	if q := te.prom.queries(); len(q) != 2 {
		t.Errorf("after Forget the release starts from a new baseline: queries %v", q)
	}
}

// gather reads a registry into "name{labels}" → value (counters, gauges)
// or sample count (histograms).
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+strconv.Quote(l.GetValue()))
			}
			key := mf.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}
