package stepper_test

import (
	"testing"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/strategy"
)

func TestStrategyStageFollowsTheRelease(t *testing.T) {
	cases := map[string]struct {
		status stepper.Status
		want   strategy.Stage
	}{
		"idle after a release adds no routes":       {stepper.Status{Phase: stepper.PhaseSucceeded}, strategy.Idle},
		"waiting for the canary adds no routes":     {stepper.Status{Phase: stepper.PhaseProgressing}, strategy.Idle},
		"mirroring before step 1 adds the mirror":   {stepper.Status{Phase: stepper.PhaseProgressing, Mirroring: true}, strategy.Mirroring},
		"a paused mirror keeps mirroring":           {stepper.Status{Phase: stepper.PhasePaused, PausedFrom: stepper.PhaseProgressing, Mirroring: true}, strategy.Mirroring},
		"a step adds the match and sticky routes":   {stepper.Status{Phase: stepper.PhaseProgressing, Step: 2, Weight: 25}, strategy.Stepping},
		"a paused step keeps them":                  {stepper.Status{Phase: stepper.PhasePaused, PausedFrom: stepper.PhaseProgressing, Step: 1}, strategy.Stepping},
		"promotion keeps them while weight remains": {stepper.Status{Phase: stepper.PhasePromoting, Step: 3, Weight: 50}, strategy.Stepping},
		"promotion removes them with the weight":    {stepper.Status{Phase: stepper.PhasePromoting, Step: 3}, strategy.Idle},
		"a rollback removes them in the same write": {stepper.Status{Phase: stepper.PhaseRollingBack, Step: 2}, strategy.Idle},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := stepper.StrategyStage(tc.status); got != tc.want {
				t.Errorf("StrategyStage = %v, want %v", got, tc.want)
			}
		})
	}
}
