// Package gates judges a canary at each evaluation of a step: every
// configured gate answers Pass, Hold (not enough evidence yet) or Fail
// (with the measured value, the threshold and a reason), and [Combine]
// reduces the answers to one [Result] for the stepper.
//
// With no gates configured the answer is always Pass and a release
// progresses by time alone.
package gates
