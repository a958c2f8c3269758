package gates

import (
	"fmt"
	"math"

	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// The judge functions turn measurements into verdicts. They are pure: the
// evaluator gathers the numbers, the simulation test feeds its own.

// judgeErrorRate reads the one-sample test of an error-rate limit on the
// canary's requests of the release so far.
func judgeErrorRate(s Spec, x rateSample, st stage) Verdict {
	return judgeRate(s, s.Rate, x, st, rateText{
		what:   "canary error rate",
		limit:  "the limit " + pct(s.Rate.Limit),
		detect: fmt.Sprintf("%s (the limit %s plus a margin of %s)", pct(s.Rate.Detect), pct(s.Rate.Limit), pct(s.Rate.Detect-s.Rate.Limit)),
	})
}

// judgeErrorRatio reads the relative error-rate gate: the sequential test
// of the ratio canary/primary error rate (ev, over the release so far)
// together with the one-sample test of the canary's rate against the
// absolute floor (s.Floor, on the same requests). The ratio test learns
// only from errors; the floor test learns from every request, so a clean
// canary of a clean service is promoted on the requests it served.
//
// The gate fails only when both tests fail: the canary is worse than the
// tolerance times the primary's rate AND above the floor, each with the
// configured confidence, so a canary within either bound is failed with
// probability at most alpha. It passes for promotion when either test
// passes: not Detect times worse than the primary, or below the floor's
// detect rate; each test passes a canary beyond its bound with
// probability at most beta/2 (the spec splits beta), so a canary beyond
// both passes with probability at most beta.
func judgeErrorRatio(s Spec, ev seqtest.Evidence, st stage) Verdict {
	st.minRequests = s.MinRequests
	t := ev.Total
	floorLLR := s.Floor.LogLR(t.CanaryRequests, t.CanaryErrors)
	ratio := sequentialResult(ev.LogLR, s.Test.FailBound(), s.Test.PassBound(), st)
	floor := sequentialResult(floorLLR, s.Floor.FailBound(), s.Floor.PassBound(), st)
	v := Verdict{Gate: s.Name, Value: num(t.Ratio()), Threshold: num(s.Test.Tolerance)}
	switch {
	case ratio == Fail && floor == Fail:
		v.Result = Fail
	case ratio == Pass || floor == Pass:
		v.Result = Pass
	default:
		v.Result = Hold
	}
	desc := fmt.Sprintf("canary error rate %s (%s of %s requests) vs primary %s (%s of %s) this release",
		pct(t.CanaryErrors/t.CanaryRequests), count(t.CanaryErrors), count(t.CanaryRequests),
		pct(t.PrimaryErrors/t.PrimaryRequests), count(t.PrimaryErrors), count(t.PrimaryRequests))
	evidence := fmt.Sprintf("ratio evidence %.2f, floor evidence %.2f; fails at %.2f and %.2f, promotes at %.2f or %.2f",
		ev.LogLR, floorLLR, s.Test.FailBound(), s.Floor.FailBound(), s.Test.PassBound(), s.Floor.PassBound())
	switch {
	case v.Result == Fail:
		v.Reason = fmt.Sprintf("%s: worse than %sx the primary's and above the floor %s, with %s confidence (%s)",
			desc, fmtNum(s.Test.Tolerance), pct(s.Floor.Limit), pct(1-s.Test.Alpha), evidence)
	case v.Result == Pass && st.moreSteps:
		v.Reason = fmt.Sprintf("%s: no sign of a regression (%s; the next step needs either below half its fail bound)", desc, evidence)
	case v.Result == Pass && ev.LogLR > s.Test.PassBound() && floorLLR > s.Floor.PassBound():
		v.Reason = fmt.Sprintf("%s: still no conclusive evidence one bake time past the last step (%s), but no sign of a regression either%s",
			desc, evidence, needed(s.Floor, rateSample{requests: t.CanaryRequests, events: t.CanaryErrors}))
	case v.Result == Pass && ev.LogLR <= s.Test.PassBound():
		v.Reason = fmt.Sprintf("%s: not %sx worse than the primary, with %s confidence (%s)", desc, fmtNum(s.Test.Detect), pct(1-s.Test.Beta), evidence)
	case v.Result == Pass:
		v.Reason = fmt.Sprintf("%s: below %s, with %s confidence (%s)", desc, pct(s.Floor.Detect), pct(1-s.Floor.Beta), evidence)
	case st.stepRequests < st.minRequests:
		v.Reason = fmt.Sprintf("%s: %s of %s requests this step before the weight moves on", desc, count(st.stepRequests), count(st.minRequests))
	default:
		more := "; the ratio test learns only from errors: more errors of either workload are needed"
		if _, toward, ok := s.Floor.RequestsToDecide(t.CanaryRequests, t.CanaryErrors); ok && toward == seqtest.Pass {
			more = needed(s.Floor, rateSample{requests: t.CanaryRequests, events: t.CanaryErrors})
		}
		v.Reason = fmt.Sprintf("%s: not enough evidence either way yet (%s)%s", desc, evidence, more)
	}
	return v
}

// judgeLatency reads the one-sample test on the share of the canary's
// requests of the release slower than the bucket boundary that stands for
// the limit: "p99 < 500ms" is "fewer than 1% of requests are slower than
// 500ms". A relative limit ("p50 < 1.2x") takes the boundary from the
// primary's quantile times the ratio. A limit that is not a bucket
// boundary is judged at the largest boundary below it (stricter, never
// looser), and the reason says so; for a relative limit never below the
// primary's own quantile (where a canary as fast as the primary would
// fail), but at the first boundary at or above it.
func judgeLatency(s Spec, canary, primary histogram, st stage) Verdict {
	name := "p" + fmtNum(s.Quantile*100)
	limit, desc := s.Limit, ""
	if s.Ratio {
		p := primary.quantile(s.Quantile)
		if !(p > 0) {
			return Verdict{Gate: s.Name, Result: Hold, Reason: fmt.Sprintf("the primary's %s latency this release is %s; no limit yet", name, ms(p))}
		}
		limit = p * s.Limit
		desc = fmt.Sprintf(" (%sx the primary's %s of %s)", fmtNum(s.Limit), name, ms(p))
	}
	bound, ok := canary.boundaryAtOrBelow(limit)
	switch {
	case s.Ratio && (!ok || bound < limit/s.Limit):
		// Below the primary's own quantile a healthy canary would fail:
		// take the first boundary at or above it, looser than the limit.
		if bound, ok = canary.boundaryAtOrAbove(limit / s.Limit); ok {
			desc += fmt.Sprintf(", judged at the bucket boundary %s, the first at or above the primary's %s: no boundary lies between it and the limit", ms(bound), name)
		}
	case ok && bound != limit:
		desc += fmt.Sprintf(", judged at the bucket boundary %s, the nearest below", ms(bound))
	}
	if !ok {
		return Verdict{Gate: s.Name, Result: Hold, Reason: fmt.Sprintf("the canary's duration histogram has no bucket boundary at or below %s", ms(limit))}
	}
	x := rateSample{requests: canary.count(), events: canary.above(bound)}
	ctx := fmt.Sprintf(" (%s < %s%s)", name, ms(limit), desc)
	return judgeRate(s, s.Rate, x, st, rateText{
		what:   fmt.Sprintf("share of canary requests slower than %s", ms(bound)),
		limit:  pct(s.Rate.Limit) + ctx,
		detect: pct(s.Rate.Detect) + ctx,
	})
}

// judgeResource compares the canary's mean use per pod with the primary's.
func judgeResource(s Spec, canary, primary podUse, unit func(float64) string) Verdict {
	if canary.pods == 0 || primary.pods == 0 {
		return Verdict{Gate: s.Name, Result: Hold, Reason: fmt.Sprintf("no %s data yet: %d canary pods, %d primary pods", s.Kind, canary.pods, primary.pods)}
	}
	c, p := canary.mean(), primary.mean()
	if !(p > 0) {
		return Verdict{Gate: s.Name, Result: Hold, Reason: fmt.Sprintf("the primary's %s per pod is %s; no ratio", s.Kind, unit(p))}
	}
	r := c / p
	desc := fmt.Sprintf("canary %s per pod %s is %sx the primary's %s (%d and %d pods)", s.Kind, unit(c), ratioText(r), unit(p), canary.pods, primary.pods)
	return limitVerdict(s, r, desc)
}

// limitVerdict passes a value below the spec's limit and fails it at or
// above.
func limitVerdict(s Spec, value float64, desc string) Verdict {
	v := Verdict{Gate: s.Name, Value: num(value), Threshold: num(s.Limit)}
	limit := ms(s.Limit)
	if s.Ratio {
		limit = fmtNum(s.Limit) + "x"
	}
	if value < s.Limit {
		v.Result, v.Reason = Pass, desc+", below the limit "+limit
	} else {
		v.Result, v.Reason = Fail, desc+", not below the limit "+limit
	}
	return v
}

// judgeQuery compares a query gate's value with its threshold.
func judgeQuery(s Spec, value float64) Verdict {
	c := s.Condition
	v := Verdict{Gate: s.Name, Value: num(value), Threshold: num(c.Threshold)}
	if math.IsNaN(value) {
		v.Result, v.Reason = Hold, "the query returned NaN"
		return v
	}
	cond := fmt.Sprintf("%s %s %s", fmtNum(value), c.Op, fmtNum(c.Threshold))
	if c.Op.Holds(value, c.Threshold) {
		v.Result, v.Reason = Pass, cond+" holds"
	} else {
		v.Result, v.Reason = Fail, cond+" does not hold"
	}
	return v
}
