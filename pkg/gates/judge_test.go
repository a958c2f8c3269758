package gates

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

func ptr(f float64) *float64 { return &f }

func TestJudgeErrorRate(t *testing.T) {
	s := Spec{Name: "error-rate max=1%", Kind: KindErrorRate, Limit: 0.01, MinRequests: 100}
	for name, c := range map[string]struct {
		step seqtest.Counts
		want Verdict
	}{
		"too few requests hold with the count so far": {
			seqtest.Counts{CanaryRequests: 42, CanaryErrors: 42},
			Verdict{Gate: s.Name, Result: Hold, Value: ptr(42), Threshold: ptr(100), Reason: "42 of 100 requests so far this step"},
		},
		"no requests at all hold, never fail": {
			seqtest.Counts{},
			Verdict{Gate: s.Name, Result: Hold, Value: ptr(0), Threshold: ptr(100), Reason: "0 of 100 requests so far this step"},
		},
		"a rate at the limit passes": {
			seqtest.Counts{CanaryRequests: 200, CanaryErrors: 2},
			Verdict{Gate: s.Name, Result: Pass, Value: ptr(0.01), Threshold: ptr(0.01), Reason: "canary error rate 1% (2 of 200 requests this step) is within the limit 1%"},
		},
		"a rate above the limit fails": {
			seqtest.Counts{CanaryRequests: 200, CanaryErrors: 3},
			Verdict{Gate: s.Name, Result: Fail, Value: ptr(0.015), Threshold: ptr(0.01), Reason: "canary error rate 1.5% (3 of 200 requests this step) is above the limit 1%"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, judgeErrorRate(s, c.step)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestJudgeErrorRatio(t *testing.T) {
	s := Spec{Name: "error-rate relative=1x", Kind: KindErrorRatio, Limit: 1, MinRequests: 100,
		Test: seqtest.Design{Tolerance: 1, Detect: 3, Alpha: 0.01, Beta: 0.1}}
	enough := seqtest.Counts{CanaryRequests: 100}
	worse := seqtest.Counts{CanaryRequests: 500, CanaryErrors: 50, PrimaryRequests: 500, PrimaryErrors: 5}
	for name, c := range map[string]struct {
		total     seqtest.Counts
		step      seqtest.Counts
		moreSteps bool
		want      Result
	}{
		"strong evidence fails even below the minimum": {worse, seqtest.Counts{CanaryRequests: 10}, false, Fail},
		"many more canary errors fail":                 {worse, enough, false, Fail},
		"as many errors as the primary pass": {
			seqtest.Counts{CanaryRequests: 1000, CanaryErrors: 10, PrimaryRequests: 1000, PrimaryErrors: 10}, enough, false, Pass,
		},
		"conclusive evidence still holds below the minimum": {
			seqtest.Counts{CanaryRequests: 1000, CanaryErrors: 10, PrimaryRequests: 1000, PrimaryErrors: 10}, seqtest.Counts{CanaryRequests: 99}, false, Hold,
		},
		"a few errors hold before promotion": {
			seqtest.Counts{CanaryRequests: 100, CanaryErrors: 1, PrimaryRequests: 100, PrimaryErrors: 1}, enough, false, Hold,
		},
		"a few errors pass before a further step": {
			seqtest.Counts{CanaryRequests: 100, CanaryErrors: 1, PrimaryRequests: 100, PrimaryErrors: 1}, enough, true, Pass,
		},
		"evidence halfway to a rollback holds before a further step": { // 6·log(1.5) = 2.43 > 4.61/2
			seqtest.Counts{CanaryRequests: 100, CanaryErrors: 6, PrimaryRequests: 100}, enough, true, Hold,
		},
	} {
		t.Run(name, func(t *testing.T) {
			ev := s.Test.Add(seqtest.Evidence{}, c.total)
			got := judgeErrorRatio(s, ev, c.step, c.moreSteps)
			if got.Result != c.want || got.Gate != s.Name {
				t.Errorf("verdict %+v, want %s", got, c.want)
			}
		})
	}
	ev := s.Test.Add(seqtest.Evidence{}, seqtest.Counts{CanaryRequests: 500, CanaryErrors: 50, PrimaryRequests: 500, PrimaryErrors: 5})
	want := Verdict{Gate: s.Name, Result: Fail, Value: ptr(10), Threshold: ptr(1),
		Reason: "canary error rate 10% (50/500) vs primary 1% (5/500) this release: worse than 1x the primary's with 99% confidence (evidence 16.81, fail at 4.61, pass at -2.30)"}
	if diff := cmp.Diff(want, judgeErrorRatio(s, ev, enough, false)); diff != "" {
		t.Errorf("a failing verdict says why (-want +got):\n%s", diff)
	}
	noPrimaryErrors := s.Test.Add(seqtest.Evidence{}, seqtest.Counts{CanaryRequests: 500, CanaryErrors: 5, PrimaryRequests: 500})
	if v := judgeErrorRatio(s, noPrimaryErrors, enough, false); v.Value != nil {
		t.Errorf("an infinite ratio must have no value (JSON has no infinity), got %v", *v.Value)
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
	fast := hist(100, 180, 250, 198, 500, 200, inf, 200) // p99 = 250ms (198 = 99% of 200)
	slow := hist(100, 10, 250, 100, 500, 150, inf, 200)  // p99 in +Inf: 500ms
	primary := hist(100, 180, 250, 200, 500, 200, inf, 200)
	abs := Spec{Name: "latency p99<300ms", Kind: KindLatency, Quantile: 0.99, Limit: 300, MinRequests: 100}
	rel := Spec{Name: "latency p99<1.2x", Kind: KindLatency, Quantile: 0.99, Limit: 1.2, Ratio: true, MinRequests: 100}
	for name, c := range map[string]struct {
		s               Spec
		canary, primary histogram
		want            Result
		reason          string
	}{
		"too few canary requests hold":                         {abs, hist(100, 10, inf, 10), primary, Hold, "10 of 100 requests so far this step"},
		"a fast canary passes":                                 {abs, fast, primary, Pass, "canary p99 latency 250ms, below the limit 300ms"},
		"a slow canary fails":                                  {abs, slow, primary, Fail, "canary p99 latency 500ms, not below the limit 300ms"},
		"a canary like the primary passes the ratio":           {rel, fast, primary, Pass, "canary p99 latency 250ms is 1.06x the primary's 235ms, below the limit 1.2x"},
		"a slower canary fails the ratio":                      {rel, slow, primary, Fail, "canary p99 latency 500ms is 2.13x the primary's 235ms, not below the limit 1.2x"},
		"a ratio holds while the primary has too few requests": {rel, fast, hist(100, 5, inf, 5), Hold, "5 of 100 primary requests so far this step"},
		"a histogram without +Inf holds":                       {abs, histogram{"+Inf": 200, "x": 3}, primary, Hold, "the canary's duration histogram has no usable buckets"},
	} {
		t.Run(name, func(t *testing.T) {
			got := judgeLatency(c.s, c.canary, c.primary)
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
