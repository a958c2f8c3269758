package testapp

import (
	"testing"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestConditions(t *testing.T) {
	status := func(rev string, p stepper.Phase, step int) stepper.Status {
		return stepper.Status{Revision: rev, Phase: p, Step: step}
	}
	for name, tc := range map[string]struct {
		cond     Condition
		s        stepper.Status
		want     bool
		wantFail bool
	}{
		"another revision's Succeeded does not count": {PhaseReached("r2", stepper.PhaseSucceeded), status("r1", stepper.PhaseSucceeded, 0), false, false},
		"the revision Succeeded holds":                {PhaseReached("r2", stepper.PhaseSucceeded), status("r2", stepper.PhaseSucceeded, 0), true, false},
		"Failed while waiting for Succeeded fails":    {PhaseReached("r2", stepper.PhaseSucceeded), status("r2", stepper.PhaseFailed, 0), false, true},
		"Succeeded while waiting for Failed fails":    {PhaseReached("r2", stepper.PhaseFailed), status("r2", stepper.PhaseSucceeded, 0), false, true},
		"Progressing while waiting for Ready waits":   {PhaseReached("r2", stepper.PhaseReady), status("r2", stepper.PhaseProgressing, 1), false, false},
		"a later step holds":                          {StepReached("r2", 1), status("r2", stepper.PhaseProgressing, 2), true, false},
		"an earlier step waits":                       {StepReached("r2", 2), status("r2", stepper.PhaseProgressing, 1), false, false},
		"rolling back while waiting for a step fails": {StepReached("r2", 2), status("r2", stepper.PhaseRollingBack, 1), false, true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := tc.cond(tc.s)
			if got != tc.want || (err != nil) != tc.wantFail {
				t.Errorf("got %v, %v; want %v, failing %v", got, err, tc.want, tc.wantFail)
			}
		})
	}
}
