package gates

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

func ptr(f float64) *float64 { return &f }

func TestSequentialResult(t *testing.T) {
	const fail, pass = 4.6, -2.3
	for name, c := range map[string]struct {
		llr  float64
		st   stage
		want Result
	}{
		"the fail bound fails below the minimum":       {4.6, stage{stepRequests: 0, minRequests: 10}, Fail},
		"below the minimum holds":                      {-5, stage{stepRequests: 9, minRequests: 10}, Hold},
		"conclusive evidence promotes":                 {-2.3, stage{stepRequests: 10, minRequests: 10}, Pass},
		"undecided evidence holds before promotion":    {0, stage{stepRequests: 10}, Hold},
		"undecided evidence passes a further step":     {2.29, stage{moreSteps: true, stepRequests: 10}, Pass},
		"half the way to a rollback holds a step":      {2.3, stage{moreSteps: true, stepRequests: 10}, Hold},
		"the last call promotes undecided evidence":    {2.29, stage{lastCall: true}, Pass},
		"the last call holds evidence leaning to Fail": {2.3, stage{lastCall: true}, Hold},
	} {
		t.Run(name, func(t *testing.T) {
			if got := sequentialResult(c.llr, fail, pass, c.st); got != c.want {
				t.Errorf("sequentialResult(%v, %+v) = %s, want %s", c.llr, c.st, got, c.want)
			}
		})
	}
}

func TestJudgeErrorRate(t *testing.T) {
	s := Spec{Name: "error-rate max=1%", Kind: KindErrorRate, Limit: 0.01, MinRequests: 10,
		Rate: seqtest.Rate{Limit: 0.01, Detect: 0.02, Alpha: 0.01, Beta: 0.1}}
	for name, c := range map[string]struct {
		x    rateSample
		st   stage
		want Verdict
	}{
		"no requests hold, never fail": {
			rateSample{}, stage{},
			Verdict{Gate: s.Name, Result: Hold, Threshold: ptr(0.01),
				Reason: "canary error rate n/a (no canary requests yet this release): 0 of 10 requests this step before the weight moves on"},
		},
		"a burst of errors in a small sample holds": {
			rateSample{requests: 31, events: 2}, stage{moreSteps: false, stepRequests: 31},
			Verdict{Gate: s.Name, Result: Hold, Value: ptr(2.0 / 31), Threshold: ptr(0.01),
				Reason: "canary error rate 6.45% (2 of 31 requests this release): not enough evidence either way yet " +
					"(evidence 1.09; fails at 4.61, promotes at -2.30); ≈100 more requests needed to fail at the rate seen so far"},
		},
		"many errors fail below the minimum": {
			rateSample{requests: 50, events: 8}, stage{stepRequests: 5},
			Verdict{Gate: s.Name, Result: Fail, Value: ptr(0.16), Threshold: ptr(0.01),
				Reason: "canary error rate 16% (8 of 50 requests this release) is above the limit 1% with 99% confidence (evidence 5.12; fails at 4.61, promotes at -2.30)"},
		},
		"a clean sample promotes": {
			rateSample{requests: 300, events: 0}, stage{stepRequests: 100},
			Verdict{Gate: s.Name, Result: Pass, Value: ptr(0), Threshold: ptr(0.01),
				Reason: "canary error rate 0% (0 of 300 requests this release) is below 2% (the limit 1% plus a margin of 1%) with 90% confidence (evidence -3.05; fails at 4.61, promotes at -2.30)"},
		},
		"a step passes while the evidence does not lean to a rollback": {
			rateSample{requests: 100, events: 1}, stage{moreSteps: true, stepRequests: 100},
			Verdict{Gate: s.Name, Result: Pass, Value: ptr(0.01), Threshold: ptr(0.01),
				Reason: "canary error rate 1% (1 of 100 requests this release) shows no sign of exceeding the limit 1% (evidence -0.31; fails at 4.61, promotes at -2.30; the next step needs below 2.30)"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, judgeErrorRate(s, c.x, c.st)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestJudgeErrorRatio(t *testing.T) {
	s := Spec{Name: "error-rate relative=1x", Kind: KindErrorRatio, Limit: 1, MinRequests: 10,
		Test:  seqtest.Design{Tolerance: 1, Detect: 3, Alpha: 0.01, Beta: 0.05},
		Floor: seqtest.Rate{Limit: 0.001, Detect: 0.01, Alpha: 0.01, Beta: 0.05}}
	enough := stage{stepRequests: 100}
	worse := seqtest.Counts{CanaryRequests: 500, CanaryErrors: 50, PrimaryRequests: 500, PrimaryErrors: 5}
	for name, c := range map[string]struct {
		total seqtest.Counts
		st    stage
		want  Result
	}{
		"strong evidence fails even below the minimum": {worse, stage{stepRequests: 1}, Fail},
		"as many errors as the primary pass": {
			seqtest.Counts{CanaryRequests: 2000, CanaryErrors: 20, PrimaryRequests: 2000, PrimaryErrors: 20}, enough, Pass,
		},
		"conclusive evidence still holds below the minimum": {
			seqtest.Counts{CanaryRequests: 1000, CanaryErrors: 10, PrimaryRequests: 1000, PrimaryErrors: 10}, stage{stepRequests: 9}, Hold,
		},
		"a few errors hold before promotion": {
			seqtest.Counts{CanaryRequests: 100, CanaryErrors: 1, PrimaryRequests: 100, PrimaryErrors: 1}, enough, Hold,
		},
		"a few errors pass before a further step": {
			seqtest.Counts{CanaryRequests: 100, CanaryErrors: 1, PrimaryRequests: 100, PrimaryErrors: 1}, stage{moreSteps: true, stepRequests: 100}, Pass,
		},
		"evidence halfway to a rollback on both tests holds a step": { // 6·log(1.5) = 2.43 > 4.61/2
			seqtest.Counts{CanaryRequests: 100, CanaryErrors: 6, PrimaryRequests: 100}, stage{moreSteps: true, stepRequests: 100}, Hold,
		},
		"a clean canary of a clean service promotes on its requests": {
			seqtest.Counts{CanaryRequests: 400, PrimaryRequests: 4000}, enough, Pass,
		},
		"a canary worse than the primary but below the floor never fails": {
			seqtest.Counts{CanaryRequests: 10000, CanaryErrors: 5, PrimaryRequests: 100000}, enough, Pass,
		},
	} {
		t.Run(name, func(t *testing.T) {
			ev := s.Test.Add(seqtest.Evidence{}, c.total)
			got := judgeErrorRatio(s, ev, c.st)
			if got.Result != c.want || got.Gate != s.Name {
				t.Errorf("verdict %+v, want %s", got, c.want)
			}
		})
	}
	ev := s.Test.Add(seqtest.Evidence{}, worse)
	want := Verdict{Gate: s.Name, Result: Fail, Value: ptr(10), Threshold: ptr(1),
		Reason: "canary error rate 10% (50 of 500 requests) vs primary 1% (5 of 500) this release: worse than 1x the primary's and above the floor 0.1%, " +
			"with 99% confidence (ratio evidence 16.81, floor evidence 111.06; fails at 4.61 and 4.61, promotes at -3.00 or -3.00)"}
	if diff := cmp.Diff(want, judgeErrorRatio(s, ev, enough)); diff != "" {
		t.Errorf("a failing verdict says why (-want +got):\n%s", diff)
	}
	noPrimaryErrors := s.Test.Add(seqtest.Evidence{}, seqtest.Counts{CanaryRequests: 500, CanaryErrors: 5, PrimaryRequests: 500})
	if v := judgeErrorRatio(s, noPrimaryErrors, enough); v.Value != nil {
		t.Errorf("an infinite ratio must have no value (JSON has no infinity), got %v", *v.Value)
	}
	undecided := s.Test.Add(seqtest.Evidence{}, seqtest.Counts{CanaryRequests: 100, CanaryErrors: 1, PrimaryRequests: 100, PrimaryErrors: 1})
	if v := judgeErrorRatio(s, undecided, stage{lastCall: true, stepRequests: 100}); v.Result != Pass || !strings.Contains(v.Reason, "still no conclusive evidence") {
		t.Errorf("the last call promotes undecided evidence and says so: %+v", v)
	}
}

// hist builds a cumulative histogram from (le, count) pairs.
func hist(pairs ...float64) histogram {
	h := histogram{}
	for i := 0; i < len(pairs); i += 2 {
		le := "+Inf"
		if !math.IsInf(pairs[i], 1) {
			le = fmtNum(pairs[i])
		}
		h[le] = pairs[i+1]
	}
	return h
}

func TestJudgeLatency(t *testing.T) {
	inf := math.Inf(1)
	fast := hist(100, 900, 250, 998, 500, 1000, inf, 1000) // 0.2% above 250ms
	slow := hist(100, 100, 250, 900, 500, 950, inf, 1000)  // 10% above 250ms
	primary := hist(100, 900, 250, 1000, 500, 1000, inf, 1000)
	abs := Spec{Name: "latency p99<300ms", Kind: KindLatency, Quantile: 0.99, Limit: 300, MinRequests: 10,
		Rate: seqtest.Rate{Limit: 0.01, Detect: 0.02, Alpha: 0.01, Beta: 0.1}}
	rel := abs
	rel.Name, rel.Ratio, rel.Limit, rel.Quantile = "latency p50<3x", true, 3, 0.5
	rel.Rate = seqtest.Rate{Limit: 0.5, Detect: 0.75, Alpha: 0.01, Beta: 0.1}
	for name, c := range map[string]struct {
		s               Spec
		canary, primary histogram
		want            Result
		reason          string
	}{
		"a fast canary passes": {abs, fast, primary, Pass, "share of canary requests slower than 250ms 0.2% (2 of 1000 requests this release) is below 2% " +
			"(p99 < 300ms, judged at the bucket boundary 250ms, the nearest below) with 90% confidence (evidence -8.75; fails at 4.61, promotes at -2.30)"},
		"a slow canary fails": {abs, slow, primary, Fail, "share of canary requests slower than 250ms 10% (100 of 1000 requests this release) is above 1% " +
			"(p99 < 300ms, judged at the bucket boundary 250ms, the nearest below) with 99% confidence (evidence 60.18; fails at 4.61, promotes at -2.30)"},
		"a canary like the primary passes the ratio": {rel, fast, primary, Pass, "share of canary requests slower than 100ms 10% (100 of 1000 requests this release) is below 75% " +
			"(p50 < 166.7ms (3x the primary's p50 of 55.6ms), judged at the bucket boundary 100ms, the nearest below) with 90% confidence (evidence -583.29; fails at 4.61, promotes at -2.30)"},
		"a slower canary fails the ratio": {rel, slow, primary, Fail, "share of canary requests slower than 100ms 90% (900 of 1000 requests this release) is above 50% " +
			"(p50 < 166.7ms (3x the primary's p50 of 55.6ms), judged at the bucket boundary 100ms, the nearest below) with 99% confidence (evidence 295.60; fails at 4.61, promotes at -2.30)"},
		"a ratio never judges below the primary's own quantile": {func() Spec { r := rel; r.Limit = 1.2; return r }(), slow, primary, Fail,
			"share of canary requests slower than 100ms 90% (900 of 1000 requests this release) is above 50% (p50 < 66.7ms (1.2x the primary's p50 of 55.6ms), " +
				"judged at the bucket boundary 100ms, the first at or above the primary's p50: no boundary lies between it and the limit) with 99% confidence (evidence 295.60; fails at 4.61, promotes at -2.30)"},
		"a ratio holds while the primary has no requests": {rel, fast, hist(100, 0, inf, 0), Hold, "the primary's p50 latency this release is NaNms; no limit yet"},
		"no boundary below the limit holds":               {abs, hist(500, 10, inf, 10), primary, Hold, "the canary's duration histogram has no bucket boundary at or below 300ms"},
	} {
		t.Run(name, func(t *testing.T) {
			got := judgeLatency(c.s, c.canary, c.primary, stage{stepRequests: 100})
			if got.Result != c.want || got.Reason != c.reason {
				t.Errorf("verdict %s %q, want %s %q", got.Result, got.Reason, c.want, c.reason)
			}
		})
	}
}

func TestJudgeResource(t *testing.T) {
	s := Spec{Name: "memory <1.5x", Kind: KindMemory, Limit: 1.5, Ratio: true}
	for name, c := range map[string]struct {
		canary, primary podUse
		want            Result
		reason          string
	}{
		"no canary pods hold":     {podUse{}, podUse{2, 200 << 20}, Hold, "no memory data yet: 0 canary pods, 2 primary pods"},
		"a similar canary passes": {podUse{1, 120 << 20}, podUse{2, 200 << 20}, Pass, "canary memory per pod 120MiB is 1.20x the primary's 100MiB (1 and 2 pods), below the limit 1.5x"},
		"a hungry canary fails":   {podUse{2, 400 << 20}, podUse{2, 200 << 20}, Fail, "canary memory per pod 200MiB is 2.00x the primary's 100MiB (2 and 2 pods), not below the limit 1.5x"},
		"an idle primary holds":   {podUse{1, 1}, podUse{1, 0}, Hold, "the primary's memory per pod is 0MiB; no ratio"},
	} {
		t.Run(name, func(t *testing.T) {
			got := judgeResource(s, c.canary, c.primary, mebibytes)
			if got.Result != c.want || got.Reason != c.reason {
				t.Errorf("verdict %s %q, want %s %q", got.Result, got.Reason, c.want, c.reason)
			}
		})
	}
}

func TestJudgeQuery(t *testing.T) {
	s := Spec{Name: "app-errors", Kind: KindQuery, Condition: mustCondition(t, "sum(x) < 5")}
	for name, c := range map[string]struct {
		value  float64
		want   Result
		reason string
	}{
		"a value satisfying the condition passes": {4, Pass, "4 < 5 holds"},
		"a value violating it fails":              {5, Fail, "5 < 5 does not hold"},
		"NaN holds":                               {math.NaN(), Hold, "the query returned NaN"},
	} {
		t.Run(name, func(t *testing.T) {
			got := judgeQuery(s, c.value)
			if got.Result != c.want || got.Reason != c.reason {
				t.Errorf("verdict %s %q, want %s %q", got.Result, got.Reason, c.want, c.reason)
			}
		})
	}
}
