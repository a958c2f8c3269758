package seqtest

import (
	"fmt"
	"math"
)

// Design is one sequential test: the ratios it separates and the risks it
// accepts.
type Design struct {
	// Tolerance is the largest ratio canary/primary error rate that is
	// still acceptable; a canary within it is failed with probability at
	// most Alpha.
	Tolerance float64
	// Detect is the smallest ratio that must be caught; a canary at or
	// beyond it passes with probability at most Beta. Detect > Tolerance.
	Detect float64
	// Alpha is the risk of failing an acceptable canary (1 - confidence).
	Alpha float64
	// Beta is the risk of passing a canary at or beyond Detect.
	Beta float64
}

// Validate reports a design that cannot be tested.
func (d Design) Validate() error {
	switch {
	case !(d.Tolerance > 0) || math.IsInf(d.Tolerance, 0):
		return fmt.Errorf("tolerance %v: must be a positive ratio", d.Tolerance)
	case !(d.Detect > d.Tolerance) || math.IsInf(d.Detect, 0):
		return fmt.Errorf("detect %v: must be a ratio above the tolerance %v", d.Detect, d.Tolerance)
	}
	return checkRisks(d.Alpha, d.Beta)
}

// FailBound is the evidence at or above which the test fails: log(1/Alpha).
func (d Design) FailBound() float64 { return failBound(d.Alpha) }

// PassBound is the evidence at or below which the test passes: log(Beta).
func (d Design) PassBound() float64 { return passBound(d.Beta) }

// Decision is the state of a test.
type Decision int

// The decisions.
const (
	// Undecided: more data is needed.
	Undecided Decision = iota
	// Pass: enough evidence that the ratio is below Detect.
	Pass
	// Fail: enough evidence that the ratio is above Tolerance.
	Fail
)

// String names the decision.
func (d Decision) String() string {
	switch d {
	case Pass:
		return "Pass"
	case Fail:
		return "Fail"
	}
	return "Undecided"
}

// Decide compares the evidence with the bounds.
func (d Design) Decide(e Evidence) Decision {
	switch {
	case e.LogLR >= d.FailBound():
		return Fail
	case e.LogLR <= d.PassBound():
		return Pass
	}
	return Undecided
}
