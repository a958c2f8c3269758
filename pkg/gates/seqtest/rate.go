package seqtest

import (
	"fmt"
	"math"
)

// Rate is a one-sample sequential test on a rate: the share of requests
// that are errors, or that are slower than a latency bound. It separates
// Limit, the largest acceptable rate, from Detect, the smallest rate that
// must be caught, by Wald's sequential probability ratio test on a
// Bernoulli model. The evidence depends only on the totals so far, so it
// needs no state between looks.
type Rate struct {
	// Limit is the largest acceptable rate, in [0, 1). A canary at or
	// below it fails with probability at most Alpha, however often it is
	// looked at.
	Limit float64
	// Detect is the smallest rate that must be caught, in (Limit, 1). A
	// canary at or above it passes with probability at most Beta.
	Detect float64
	// Alpha is the risk of failing an acceptable canary.
	Alpha float64
	// Beta is the risk of passing a canary at or beyond Detect.
	Beta float64
}

// Validate reports a design that cannot be tested.
func (d Rate) Validate() error {
	switch {
	case !(d.Limit >= 0 && d.Limit < 1):
		return fmt.Errorf("limit %v: must be a rate in [0, 1)", d.Limit)
	case !(d.Detect > d.Limit && d.Detect < 1):
		return fmt.Errorf("detect %v: must be a rate above the limit %v and below 1", d.Detect, d.Limit)
	}
	return checkRisks(d.Alpha, d.Beta)
}

// FailBound is the evidence at or above which the test fails: log(1/Alpha).
func (d Rate) FailBound() float64 { return failBound(d.Alpha) }

// PassBound is the evidence at or below which the test passes: log(Beta).
func (d Rate) PassBound() float64 { return passBound(d.Beta) }

// LogLR is the evidence of events among requests: the log-likelihood
// ratio of Detect against Limit. Each event adds log(Detect/Limit), each
// other request log((1-Detect)/(1-Limit)) (a negative number). With a
// Limit of 0 a single event is conclusive (+Inf). Events are clamped to
// [0, requests].
func (d Rate) LogLR(requests, events float64) float64 {
	requests = math.Max(requests, 0)
	events = clamp(events, requests)
	llr := (requests - events) * (math.Log1p(-d.Detect) - math.Log1p(-d.Limit))
	if events == 0 {
		return llr
	}
	if d.Limit == 0 {
		return math.Inf(1)
	}
	return llr + events*math.Log(d.Detect/d.Limit)
}

// Decide compares the evidence of events among requests with the bounds.
func (d Rate) Decide(requests, events float64) Decision {
	llr := d.LogLR(requests, events)
	switch {
	case llr >= d.FailBound():
		return Fail
	case llr <= d.PassBound():
		return Pass
	}
	return Undecided
}

// Indifference is the rate at which the evidence does not move on
// average: below it the test drifts towards Pass, above it towards Fail.
func (d Rate) Indifference() float64 {
	if d.Limit == 0 {
		return 0
	}
	up, down := math.Log(d.Detect/d.Limit), math.Log1p(-d.Limit)-math.Log1p(-d.Detect)
	return down / (up + down)
}

// RequestsToDecide estimates how many more requests, at the observed rate
// events/requests, the evidence needs to reach the bound it drifts
// towards; ok is false when it does not drift (the rate sits at the
// indifference point, or nothing was observed yet and the drift is that of
// a rate of zero).
func (d Rate) RequestsToDecide(requests, events float64) (more float64, toward Decision, ok bool) {
	rate := 0.0
	if requests > 0 {
		rate = clamp(events, requests) / requests
	}
	drift := (1 - rate) * (math.Log1p(-d.Detect) - math.Log1p(-d.Limit))
	if rate > 0 {
		if d.Limit == 0 {
			return 0, Fail, true
		}
		drift += rate * math.Log(d.Detect/d.Limit)
	}
	llr := d.LogLR(requests, events)
	switch {
	case drift < 0:
		return math.Max(0, (llr-d.PassBound())/-drift), Pass, true
	case drift > 0:
		return math.Max(0, (d.FailBound()-llr)/drift), Fail, true
	}
	return 0, Undecided, false
}
