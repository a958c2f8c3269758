package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestNextStartsAStepWhenEveryVirtualServiceCarriesItsWeight(t *testing.T) {
	// Step 2 (weight 10) was decided at -5m: its bake time would be over now.
	decided := stepping(2, -5*time.Minute)
	// uneven: the home VirtualService carries weight 10, the gateway's
	// still step 1's 5, so the VirtualServices do not agree on a weight.
	uneven := func(s stepper.Status) stepper.Observations {
		return with(observed(s), func(o *stepper.Observations) {
			o.Routed, o.AppliedWeight, o.Lagging, o.Verdicts = false, 0, []string{"istio-system/public-web"}, passing
		})
	}
	lagged := func(since time.Duration) stepper.Status {
		return with(decided, func(s *stepper.Status) { s.WeightLagSince = at(since) })
	}
	// recorded is the decision that records a lag, with a Warning.
	recorded := func(s *stepper.Status, now time.Time) {
		s.Verdicts, s.WeightLagSince = passing, &now
		moved(s, stepper.ReasonWeightLagging, now)
	}
	passingAll := func(s stepper.Status) stepper.Observations {
		return with(observed(s), func(o *stepper.Observations) { o.Verdicts = passing })
	}
	runNext(t, map[string]nextCase{
		"a step whose weight reached only some VirtualServices records the lag": {
			status:  stepping(2, -time.Minute),
			obs:     uneven(stepping(2, 0)),
			want:    recorded,
			actions: running(time.Minute, warning(stepper.ReasonWeightLagging)),
		},
		"a recorded lag is not recorded again": {
			status:  with(stepping(2, -time.Minute), func(s *stepper.Status) { s.WeightLagSince, s.Verdicts = at(-30*time.Second), passing }),
			obs:     uneven(stepping(2, 0)),
			actions: running(time.Minute),
		},
		"a step that lagged does not advance at the end of the bake time counted from its decision, it starts again": {
			status: lagged(-4 * time.Minute),
			obs:    passingAll(decided),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts, s.StepStart, s.WeightLagSince, s.LagRestarts = passing, &now, nil, 1
				moved(s, stepper.ReasonStepRestarted, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonStepRestarted)),
		},
		"a step that started over less than the maximum of times records a new lag": {
			status:  with(stepping(2, -time.Minute), func(s *stepper.Status) { s.LagRestarts = stepper.MaxLagRestarts - 1 }),
			obs:     uneven(stepping(2, 0)),
			want:    recorded,
			actions: running(time.Minute, warning(stepper.ReasonWeightLagging)),
		},
		"a lag after the step started over the maximum of times rolls back": {
			status: with(stepping(2, -time.Minute), func(s *stepper.Status) { s.LagRestarts = stepper.MaxLagRestarts }),
			obs:    uneven(stepping(2, 0)),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Weight, s.LagRestarts = stepper.PhaseRollingBack, 0, 0
				moved(s, stepper.ReasonWeightsOverwritten, now)
			},
			actions: rolledBackBy(stepper.ReasonWeightsOverwritten),
		},
		"a step started again after a lag waits for its whole bake time from then": {
			status:  stepping(2, -4*time.Minute-30*time.Second),
			obs:     passingAll(decided),
			want:    func(s *stepper.Status, now time.Time) { s.Verdicts = passing },
			actions: running(30 * time.Second),
		},
		"a step started again after a lag advances once its whole bake time is over, and the next counts its own restarts": {
			status: with(stepping(2, -5*time.Minute), func(s *stepper.Status) { s.LagRestarts = 2 }),
			obs:    passingAll(decided),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts, s.LagRestarts = passing, 0
				toStep(3)(s, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"a lag past the bake time counted from the decision holds": {
			status: lagged(-4 * time.Minute),
			obs:    uneven(decided),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts, s.HoldSince = passing, &now
				moved(s, stepper.ReasonHolding, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonHolding)),
		},
		"a lag that lasts the maximum hold time rolls back and forgets the lag": {
			status: with(lagged(-35*time.Minute), func(s *stepper.Status) { s.HoldSince = at(-30 * time.Minute) }),
			obs:    uneven(decided),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Weight, s.Verdicts, s.HoldSince, s.WeightLagSince = stepper.PhaseRollingBack, 0, passing, nil, nil
				moved(s, stepper.ReasonHoldTimeout, now)
			},
			actions: rolledBackBy(stepper.ReasonHoldTimeout),
		},
		"a hold ends when the step starts again after its lag": {
			status: with(lagged(-4*time.Minute), func(s *stepper.Status) { s.HoldSince = at(-time.Minute) }),
			obs:    passingAll(decided),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts, s.StepStart, s.HoldSince, s.WeightLagSince, s.LagRestarts = passing, &now, nil, nil, 1
				moved(s, stepper.ReasonStepRestarted, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonStepRestarted)),
		},
		"a canary routed no weight everywhere for lack of Ready pods is no lag": {
			status: stepping(2, -time.Minute),
			obs: with(observed(stepping(0, 0)), func(o *stepper.Observations) {
				o.Revision, o.CanaryHash, o.CanaryAvailable = "r1", "h1", false
			}),
			actions: running(time.Minute),
		},
		"a new revision forgets the lag of the superseded release's step": {
			status: lagged(-4 * time.Minute),
			obs:    with(uneven(decided), func(o *stepper.Observations) { o.Revision, o.CanaryHash, o.Verdicts = "r2", "h2", nil }),
			want: func(s *stepper.Status, now time.Time) {
				s.Revision, s.CanaryHash, s.Step, s.Weight = "r2", "h2", 0, 0
				s.ReleaseStart, s.StepStart, s.WeightLagSince, s.Superseded = &now, &now, nil, 1
				moved(s, stepper.ReasonSuperseded, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonSuperseded)),
		},
	})
}
