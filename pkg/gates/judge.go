package gates

import (
	"fmt"
	"math"

	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// The judge functions turn measurements into verdicts. They are pure: the
// evaluator gathers the numbers, the simulation test feeds its own.

// judgeErrorRate applies an absolute error-rate limit to the step's counts.
func judgeErrorRate(s Spec, step seqtest.Counts) Verdict {
	if v, short := tooFew(s, step.CanaryRequests); short {
		return v
	}
	rate := step.CanaryErrors / step.CanaryRequests
	v := Verdict{Gate: s.Name, Value: num(rate), Threshold: num(s.Limit)}
	desc := fmt.Sprintf("canary error rate %s (%s of %s requests this step)", pct(rate), count(step.CanaryErrors), count(step.CanaryRequests))
	if rate > s.Limit {
		v.Result, v.Reason = Fail, desc+" is above the limit "+pct(s.Limit)
	} else {
		v.Result, v.Reason = Pass, desc+" is within the limit "+pct(s.Limit)
	}
	return v
}

// judgeErrorRatio reads the sequential test: ev covers the release so
// far, step the current step. Before promotion (moreSteps false) a Pass
// needs conclusive evidence that the canary is not Detect times worse.
// Before a further step it needs only that the evidence has not gone half
// the way to a rollback (log-likelihood ratio below half the Fail bound):
// the test goes on watching at the higher weight, where evidence comes
// faster, and holding a low-traffic step for conclusive evidence would
// take longer than any sensible maximum hold.
//
// Below the minimum number of requests in the step the test may fail but
// not pass: its Fail bound already guarantees that it never fails for lack
// of data (a failure needs evidence that a false rollback has a chance
// below 1 - confidence), while a Pass on a step that has barely started
// would let the weight move on too early.
func judgeErrorRatio(s Spec, ev seqtest.Evidence, step seqtest.Counts, moreSteps bool) Verdict {
	decision := s.Test.Decide(ev)
	if decision == seqtest.Undecided && moreSteps && ev.LogLR < s.Test.FailBound()/2 {
		decision = seqtest.Pass
	}
	if decision != seqtest.Fail {
		if v, short := tooFew(s, step.CanaryRequests); short {
			return v
		}
	}
	t := ev.Total
	v := Verdict{Gate: s.Name, Value: num(t.Ratio()), Threshold: num(s.Test.Tolerance)}
	desc := fmt.Sprintf("canary error rate %s (%s/%s) vs primary %s (%s/%s) this release",
		pct(t.CanaryErrors/t.CanaryRequests), count(t.CanaryErrors), count(t.CanaryRequests),
		pct(t.PrimaryErrors/t.PrimaryRequests), count(t.PrimaryErrors), count(t.PrimaryRequests))
	evidence := fmt.Sprintf("evidence %.2f, fail at %.2f, pass at %.2f", ev.LogLR, s.Test.FailBound(), s.Test.PassBound())
	switch decision {
	case seqtest.Fail:
		v.Result = Fail
		v.Reason = fmt.Sprintf("%s: worse than %sx the primary's with %s confidence (%s)",
			desc, fmtNum(s.Test.Tolerance), pct(1-s.Test.Alpha), evidence)
	case seqtest.Pass:
		v.Result = Pass
		v.Reason = fmt.Sprintf("%s: not %sx worse than the primary, with %s confidence (%s)",
			desc, fmtNum(s.Test.Detect), pct(1-s.Test.Beta), evidence)
		if ev.LogLR > s.Test.PassBound() {
			v.Reason = fmt.Sprintf("%s: not enough sign of a regression to hold the next step (below %.2f); promotion needs more evidence (%s)",
				desc, s.Test.FailBound()/2, evidence)
		}
	default:
		v.Result = Hold
		v.Reason = fmt.Sprintf("%s: not enough evidence yet (%s)", desc, evidence)
	}
	return v
}

// judgeLatency applies a latency limit to the step's duration histograms.
func judgeLatency(s Spec, canary, primary histogram) Verdict {
	if v, short := tooFew(s, canary.count()); short {
		return v
	}
	name := "p" + fmtNum(s.Quantile*100)
	q := canary.quantile(s.Quantile)
	if math.IsNaN(q) {
		return Verdict{Gate: s.Name, Result: Hold, Reason: "the canary's duration histogram has no usable buckets"}
	}
	desc := fmt.Sprintf("canary %s latency %s", name, ms(q))
	value := q
	if s.Ratio {
		if primary.count() < s.MinRequests {
			return Verdict{Gate: s.Name, Result: Hold, Reason: fmt.Sprintf("%s of %s primary requests so far this step", count(primary.count()), count(s.MinRequests))}
		}
		p := primary.quantile(s.Quantile)
		if !(p > 0) {
			return Verdict{Gate: s.Name, Result: Hold, Reason: fmt.Sprintf("the primary's %s latency is %s; no ratio", name, ms(p))}
		}
		value = q / p
		desc = fmt.Sprintf("%s is %sx the primary's %s", desc, ratioText(value), ms(p))
	}
	return limitVerdict(s, value, desc)
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

// tooFew holds a gate while the step has served fewer canary requests
// than the spec's minimum: a gate never fails for lack of data.
func tooFew(s Spec, requests float64) (Verdict, bool) {
	if requests >= s.MinRequests && requests > 0 {
		return Verdict{}, false
	}
	return Verdict{Gate: s.Name, Result: Hold, Value: num(requests), Threshold: num(s.MinRequests),
		Reason: fmt.Sprintf("%s of %s requests so far this step", count(requests), count(max(s.MinRequests, 1)))}, true
}
