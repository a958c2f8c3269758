package gates

import (
	"fmt"
	"math"

	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// The sequential gates (error-rate max and relative, latency) share one
// rule for turning evidence into a result, so that every one of them keeps
// its stated false-rollback rate under continuous checking:
//
//   - Fail when the evidence reaches the fail bound, log(1/alpha). This
//     never waits for min-requests: the bound already makes a failure for
//     lack of data impossible.
//   - Before a further step (Release.MoreSteps), Pass when the evidence has
//     not gone half the way to a rollback and the step has served
//     min-requests: the test keeps watching at the higher weight, where
//     evidence comes faster.
//   - Before promotion, Pass on conclusive evidence: the pass bound.
//   - At the last call (the last step has run one bake time past its own:
//     Release.LastCall), Pass when the evidence does not lean towards a
//     regression, as before a further step. This truncates the test: it
//     can only lower the false-rollback rate, and it keeps a healthy
//     canary of a low-traffic service from holding into max-hold when no
//     test could tell it from a regression in time. The power it costs is
//     what the simulation's table shows at low traffic.
//   - Hold otherwise.

// stage is where a release stands for a sequential gate.
type stage struct {
	moreSteps    bool
	lastCall     bool
	stepRequests float64
	minRequests  float64
}

// sequentialResult applies the rule to one test's evidence.
func sequentialResult(llr, failBound, passBound float64, st stage) Result {
	switch {
	case llr >= failBound:
		return Fail
	case st.stepRequests < st.minRequests:
		return Hold
	case (st.moreSteps || st.lastCall) && llr < failBound/2:
		return Pass
	case !st.moreSteps && llr <= passBound:
		return Pass
	}
	return Hold
}

// rateSample is what a one-sample rate gate counted over the release so
// far: requests and events (errors, or requests slower than a bound).
type rateSample struct {
	requests, events float64
}

func (x rateSample) rate() float64 { return x.events / x.requests }

// rateText describes what a rate gate measures, for its reasons.
type rateText struct {
	// what names the rate, for example "canary error rate".
	what string
	// limit and detect describe the design's bounds, for example "the
	// limit 5%" and "10% (the limit 5% plus a margin of 5%)".
	limit, detect string
}

// judgeRate reads a one-sample sequential rate test and explains the
// verdict in plain words: the observed rate, the bound it was compared
// with, the requests seen and, while the test holds, about how many more
// it needs.
func judgeRate(s Spec, d seqtest.Rate, x rateSample, st stage, txt rateText) Verdict {
	st.minRequests = s.MinRequests
	llr := d.LogLR(x.requests, x.events)
	v := Verdict{Gate: s.Name, Result: sequentialResult(llr, d.FailBound(), d.PassBound(), st), Value: num(x.rate()), Threshold: num(d.Limit)}
	seen := fmt.Sprintf("%s %s (%s of %s requests this release)", txt.what, pct(x.rate()), count(x.events), count(x.requests))
	if x.requests == 0 {
		seen = txt.what + " n/a (no canary requests yet this release)"
	}
	evidence := fmt.Sprintf("evidence %.2f; fails at %.2f, promotes at %.2f", llr, d.FailBound(), d.PassBound())
	switch {
	case v.Result == Fail:
		v.Reason = fmt.Sprintf("%s is above %s with %s confidence (%s)", seen, txt.limit, pct(1-d.Alpha), evidence)
	case v.Result == Pass && !st.moreSteps && llr <= d.PassBound():
		v.Reason = fmt.Sprintf("%s is below %s with %s confidence (%s)", seen, txt.detect, pct(1-d.Beta), evidence)
	case v.Result == Pass && !st.moreSteps:
		v.Reason = fmt.Sprintf("%s: still no conclusive evidence one bake time past the last step (%s), but no sign of exceeding %s either (below %.2f)%s",
			seen, evidence, txt.limit, d.FailBound()/2, needed(d, x))
	case v.Result == Pass:
		v.Reason = fmt.Sprintf("%s shows no sign of exceeding %s (%s; the next step needs below %.2f)", seen, txt.limit, evidence, d.FailBound()/2)
	case st.stepRequests < st.minRequests:
		v.Reason = fmt.Sprintf("%s: %s of %s requests this step before the weight moves on", seen, count(st.stepRequests), count(st.minRequests))
	default:
		v.Reason = fmt.Sprintf("%s: not enough evidence either way yet (%s)%s", seen, evidence, needed(d, x))
	}
	return v
}

// needed estimates, for a holding verdict, the requests still needed at
// the rate observed so far.
func needed(d seqtest.Rate, x rateSample) string {
	more, toward, ok := d.RequestsToDecide(x.requests, x.events)
	if !ok || math.IsInf(more, 0) {
		return ""
	}
	return fmt.Sprintf("; ≈%s more requests needed to %s at the rate seen so far", count(math.Ceil(more)), map[seqtest.Decision]string{seqtest.Pass: "promote", seqtest.Fail: "fail"}[toward])
}

// defaultDetect is the rate a one-sample test must catch when the user
// gives no margin: twice the limit, but at most half way from the limit to
// 1, and 1% for a limit of 0.
func defaultDetect(limit float64) float64 {
	if limit == 0 {
		return 0.01
	}
	return math.Min(2*limit, (1+limit)/2)
}
