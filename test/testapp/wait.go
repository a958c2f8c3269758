package testapp

import (
	"fmt"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// Condition says whether a release status is what a test waits for; an
// error means it never will be (the test fails at once).
type Condition func(stepper.Status) (bool, error)

// PhaseReached holds once the release of revision rev is in phase want.
// Ending in the other final phase (Failed for Succeeded and the reverse)
// is an error.
func PhaseReached(rev string, want stepper.Phase) Condition {
	other := map[stepper.Phase]stepper.Phase{
		stepper.PhaseSucceeded: stepper.PhaseFailed,
		stepper.PhaseFailed:    stepper.PhaseSucceeded,
	}[want]
	return func(s stepper.Status) (bool, error) {
		if s.Revision != rev {
			return false, nil
		}
		if other != "" && s.Phase == other {
			return false, fmt.Errorf("the release ended %s: %s: %s", s.Phase, s.Reason, s.Message)
		}
		return s.Phase == want, nil
	}
}

// StepReached holds once revision rev is Progressing at step or past it.
// Failing or rolling back is an error.
func StepReached(rev string, step int) Condition {
	return func(s stepper.Status) (bool, error) {
		if s.Revision != rev {
			return false, nil
		}
		if s.Phase == stepper.PhaseFailed || s.Phase == stepper.PhaseRollingBack {
			return false, fmt.Errorf("the release is rolling back: %s: %s", s.Reason, s.Message)
		}
		return s.Phase == stepper.PhaseProgressing && s.Step >= step, nil
	}
}
