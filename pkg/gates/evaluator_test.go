package gates

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/meshcanary/meshcanary/pkg/gates/promql"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)

// testEvaluator is an Evaluator on a fake Prometheus with a fake clock.
type testEvaluator struct {
	*Evaluator
	prom  *fakePrometheus
	clock *clocktesting.FakeClock
	reg   *prometheus.Registry
}

func newTestEvaluator(t *testing.T, mods ...func(*Options)) *testEvaluator {
	t.Helper()
	te := &testEvaluator{prom: newFakePrometheus(t), clock: clocktesting.NewFakeClock(t0), reg: prometheus.NewRegistry()}
	o := Options{PrometheusURL: te.prom.srv.URL, Registerer: te.reg, Clock: te.clock, QueryTimeout: time.Second}
	for _, m := range mods {
		m(&o)
	}
	e, err := NewEvaluator(o)
	if err != nil {
		t.Fatal(err)
	}
	te.Evaluator = e
	return te
}

// round moves the clock past the cache TTL, as between two evaluations.
func (te *testEvaluator) round() { te.clock.Step(DefaultCacheTTL + time.Second) }

func release(name string, now time.Time) Release {
	return Release{Namespace: "shop", Deployment: name, Primary: name + "-primary", Service: name, Revision: "r1",
		Step: 1, CanaryWeight: 5, Total: 100, StepStart: t0, Now: now}
}

func specs(t *testing.T, annotations map[string]string) Specs {
	t.Helper()
	s, probs := Parse(annotations)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	return s
}

func TestEvaluateWithoutSpecsIsAnEmptySlice(t *testing.T) {
	te := newTestEvaluator(t)
	if got := te.Evaluate(context.Background(), nil, release("web", t0)); got == nil || len(got) != 0 {
		t.Errorf("Evaluate(no specs) = %#v, want an empty non-nil slice", got)
	}
	if q := te.prom.queries(); len(q) != 0 {
		t.Errorf("queries without specs: %v", q)
	}
}

func TestEvaluateCountsRequestsOverTheRelease(t *testing.T) {
	te := newTestEvaluator(t)
	q := promql.Requests("shop")
	canary := map[string]float64{"200": 1000, "503": 10} // at the step's start
	te.prom.answerAt(q, func(at time.Time) []sample {
		if at.Equal(t0) {
			return []sample{reqSeries("web", "200", 1000), reqSeries("web", "503", 10), reqSeries("web-primary", "200", 9000)}
		}
		return []sample{reqSeries("web", "200", canary["200"]), reqSeries("web", "503", canary["503"]), reqSeries("web-primary", "200", 9000)}
	})
	s := specs(t, map[string]string{GatePrefix + KeyErrorRate: "max=1%"})
	ctx := context.Background()

	canary["200"], canary["503"] = 1040, 11
	v := te.Evaluate(ctx, s, release("web", t0.Add(30*time.Second)))
	if want := "canary error rate 2.44% (1 of 41 requests this release): not enough evidence either way yet"; v[0].Result != Hold || !strings.HasPrefix(v[0].Reason, want) {
		t.Errorf("first evaluation %+v, want Hold %q", v[0], want)
	}
	if diff := cmp.Diff([]string{q + " @ " + itoa(t0.Unix()), q}, te.prom.queries()); diff != "" {
		t.Errorf("queries: baseline at the step start, then now (-want +got):\n%s", diff)
	}

	te.round()
	canary["200"], canary["503"] = 1150, 20
	v = te.Evaluate(ctx, s, release("web", t0.Add(40*time.Second)))
	want := "canary error rate 6.25% (10 of 160 requests this release) is above the limit 1% with 99% confidence (evidence 5.41; fails at 4.61, promotes at -2.30)"
	if v[0].Result != Fail || v[0].Reason != want {
		t.Errorf("second evaluation %+v, want Fail %q", v[0], want)
	}
	te.prom.queries()

	te.round()
	next := release("web", t0.Add(70*time.Second))
	next.Step, next.StepStart = 2, t0.Add(60*time.Second)
	v = te.Evaluate(ctx, s, next)
	if v[0].Result != Fail || v[0].Reason != want {
		t.Errorf("a new step keeps the release's evidence: %+v, want Fail %q", v[0], want)
	}
	if diff := cmp.Diff([]string{q}, te.prom.queries()); diff != "" {
		t.Errorf("a new step needs no new baseline query (-want +got):\n%s", diff)
	}
}

func TestEvaluateDropsABatchWhenACounterGoesDown(t *testing.T) {
	te := newTestEvaluator(t)
	q := promql.Requests("shop")
	var now []sample
	te.prom.answerAt(q, func(time.Time) []sample { return now })
	s := specs(t, map[string]string{GatePrefix + KeyErrorRate: "max=1%", GatePrefix + KeyMinRequests: "1"})
	r := release("web", t0.Add(30*time.Second))
	for i, c := range []struct {
		ok, errors float64
		reason     string
	}{
		{1000, 0, "canary error rate n/a (no canary requests yet this release)"}, // baseline
		{1100, 1, "canary error rate 0.99% (1 of 101 requests this release)"},    // +101
		{50, 3, "canary error rate 0.99% (1 of 101 requests this release)"},      // reset: dropped
		{150, 3, "canary error rate 0.5% (1 of 201 requests this release)"},      // +100 after the reset
	} {
		now = []sample{reqSeries("web", "200", c.ok), reqSeries("web", "500", c.errors), reqSeries("web-primary", "200", 1)}
		r.StepStart = r.Now // the baseline is "now"
		v := te.Evaluate(context.Background(), s, r)
		if !strings.HasPrefix(v[0].Reason, c.reason) {
			t.Errorf("evaluation %d: %q, want it to start with %q", i, v[0].Reason, c.reason)
		}
		te.round()
	}
}

func TestEvaluateKeepsTheSequentialTestAcrossSteps(t *testing.T) {
	te := newTestEvaluator(t)
	q := promql.Requests("shop")
	var now []sample
	te.prom.answerAt(q, func(time.Time) []sample { return now })
	s := specs(t, map[string]string{GatePrefix + KeyErrorRate: "relative", GatePrefix + KeyMinRequests: "10"})
	set := func(cOK, cErr, pOK, pErr float64) {
		now = []sample{reqSeries("web", "200", cOK), reqSeries("web", "503", cErr), reqSeries("web-primary", "200", pOK), reqSeries("web-primary", "503", pErr)}
	}
	r := release("web", t0)
	set(0, 0, 0, 0)
	te.Evaluate(context.Background(), s, r) // baseline now: the step starts now
	// Neither step alone is enough evidence (0.94 and 3.70 of 4.61).
	cumulative := [][4]float64{{97, 3, 900, 10}, {191, 9, 1800, 20}}
	var v []Verdict
	for step, c := range cumulative {
		te.round()
		r.Step, r.StepStart, r.Now = step+1, te.clock.Now(), te.clock.Now().Add(time.Minute)
		set(c[0], c[1], c[2], c[3])
		v = te.Evaluate(context.Background(), s, r)
		if step == 0 && v[0].Result != Hold {
			t.Errorf("after one step: %+v, want Hold", v[0])
		}
	}
	want := "canary error rate 4.5% (9 of 200 requests) vs primary 1.1% (20 of 1820) this release"
	if v[0].Result != Fail || !strings.HasPrefix(v[0].Reason, want) {
		t.Errorf("after two steps: %+v, want Fail starting %q", v[0], want)
	}
}

func TestEvaluateBatchesQueriesAcrossCanaries(t *testing.T) {
	te := newTestEvaluator(t)
	for _, ns := range []string{"shop", "blog"} {
		te.prom.answer(promql.Requests(ns))
		te.prom.answer(promql.Durations(ns))
	}
	s := specs(t, map[string]string{GatePrefix + KeyErrorRate: "max=1%, relative", GatePrefix + KeyLatency: "p99<1s, p50<1.5x"})
	for _, name := range []string{"web", "cart", "search"} {
		te.Evaluate(context.Background(), s, release(name, t0.Add(time.Minute)))
	}
	blog := release("blog", t0.Add(time.Minute))
	blog.Namespace = "blog"
	te.Evaluate(context.Background(), s, blog)
	at := " @ " + itoa(t0.Unix())
	want := []string{
		promql.Requests("shop") + at, promql.Requests("shop"), promql.Durations("shop") + at, promql.Durations("shop"),
		promql.Requests("blog") + at, promql.Requests("blog"), promql.Durations("blog") + at, promql.Durations("blog"),
	}
	if got := te.prom.queries(); !cmp.Equal(want, got) {
		t.Errorf("one query per kind and namespace:\n got %s\nwant %s", strings.Join(got, "\n    "), strings.Join(want, "\n    "))
	}
}

func TestEvaluateLatencyResourceAndQueryGates(t *testing.T) {
	te := newTestEvaluator(t)
	buckets := func(scale float64) []sample {
		var out []sample
		for _, w := range []string{"web", "web-primary"} {
			out = append(out, bucketSeries(w, "50", 40*scale), bucketSeries(w, "100", 90*scale), bucketSeries(w, "500", 99*scale), bucketSeries(w, "+Inf", 100*scale))
		}
		return out
	}
	te.prom.answerAt(promql.Durations("shop"), func(at time.Time) []sample {
		if at.IsZero() {
			return buckets(3)
		}
		return buckets(1)
	})
	te.prom.answer(promql.CPU("shop", DefaultResourceWindow),
		podSeries("web-5d9f8b7c4-x2x7q", 0.3), podSeries("web-primary-6c8d5f9b8-bcdfg", 0.1), podSeries("web-primary-6c8d5f9b8-zzzzz", 0.1),
		podSeries("web-api-5d9f8b7c4-x2x7q", 9)) // another Deployment's pod
	te.prom.answer(promql.Memory("shop"), podSeries("web-5d9f8b7c4-x2x7q", 100<<20), podSeries("web-primary-6c8d5f9b8-bcdfg", 100<<20))
	te.prom.scalars[`sum(count_over_time(errors{namespace="shop", app="web"}[95s]))`] = 0
	s := specs(t, map[string]string{
		GatePrefix + KeyLatency: "p99<400ms, p50<1.2x",
		GatePrefix + KeyCPU:     "<2x",
		GatePrefix + KeyMemory:  "<1.5x",
		GatePrefix + "errors":   "sum(count_over_time(errors{namespace={{namespace}}, app={{canary}}}[{{window}}])) < 1",
	})
	v := te.Evaluate(context.Background(), s, release("web", t0.Add(95*time.Second)))
	got := map[string]string{}
	for _, x := range v {
		got[x.Gate] = string(x.Result) + ": " + x.Reason
	}
	want := map[string]string{
		"latency p99<400ms": "Fail: share of canary requests slower than 100ms 10% (20 of 200 requests this release) is above 1% " +
			"(p99 < 400ms, judged at the bucket boundary 100ms, the nearest below) with 99% confidence (evidence 12.04; fails at 4.61, promotes at -2.30)",
		"latency p50<1.2x": "Pass: share of canary requests slower than 100ms 10% (20 of 200 requests this release) is below 75% " +
			"(p50 < 72ms (1.2x the primary's p50 of 60ms), judged at the bucket boundary 100ms, the first at or above the primary's p50: " +
			"no boundary lies between it and the limit) with 90% confidence (evidence -116.66; fails at 4.61, promotes at -2.30)",
		"cpu <2x":      "Fail: canary cpu per pod 300m is 3.00x the primary's 100m (1 and 2 pods), not below the limit 2x",
		"memory <1.5x": "Pass: canary memory per pod 100MiB is 1.00x the primary's 100MiB (1 and 1 pods), below the limit 1.5x",
		"errors":       "Pass: 0 < 1 holds",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
}

// TestEvaluateAfterARestartCountsTheWholeRelease starts an evaluator (a
// restarted controller) in the second step of a release: the one-sample
// test counts the requests since the release started, min-requests those
// since the step started.
func TestEvaluateAfterARestartCountsTheWholeRelease(t *testing.T) {
	te := newTestEvaluator(t)
	q := promql.Requests("shop")
	releaseStart, stepStart := t0.Add(-time.Minute), t0
	te.prom.answerAt(q, func(at time.Time) []sample {
		switch {
		case at.Equal(releaseStart):
			return []sample{reqSeries("web", "200", 100), reqSeries("web-primary", "200", 1000)}
		case at.Equal(stepStart):
			return []sample{reqSeries("web", "200", 400), reqSeries("web-primary", "200", 4000)}
		}
		return []sample{reqSeries("web", "200", 405), reqSeries("web-primary", "200", 4100)}
	})
	s := specs(t, map[string]string{GatePrefix + KeyErrorRate: "max=1%"})
	r := release("web", t0.Add(30*time.Second))
	r.Step, r.ReleaseStart = 2, releaseStart
	v := te.Evaluate(context.Background(), s, r)
	want := "canary error rate 0% (0 of 305 requests this release) is below 2%"
	if v[0].Result != Hold || !strings.HasPrefix(v[0].Reason, "canary error rate 0% (0 of 305 requests this release): 5 of 10 requests this step") {
		t.Errorf("verdict %+v, want Hold on the step's 5 of 10 requests, counting the release's 305", v[0])
	}
	te.round()
	r.Now = r.Now.Add(10 * time.Second)
	te.prom.answerAt(q, func(at time.Time) []sample {
		return []sample{reqSeries("web", "200", 420), reqSeries("web-primary", "200", 4300)}
	})
	if v = te.Evaluate(context.Background(), s, r); v[0].Result != Pass || !strings.HasPrefix(v[0].Reason, strings.Replace(want, "305", "320", 1)) {
		t.Errorf("verdict %+v, want Pass on the release's 320 clean requests", v[0])
	}
}
