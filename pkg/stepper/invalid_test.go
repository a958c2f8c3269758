package stepper_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestInvalidKeepsTheSafetyTimersOfARelease(t *testing.T) {
	const problems = `annotation meshcanary.io/steps="5,x": ...`
	invalid := func(s *stepper.Status) { s.ConfigError = problems }
	heldSince := func(d time.Duration) func(*stepper.Status) {
		return func(s *stepper.Status) {
			invalid(s)
			s.HoldSince, s.Reason, s.TransitionTime = at(d), stepper.ReasonHolding, t0.Add(d)
		}
	}
	rolledBack := func(reason string) func(*stepper.Status, time.Time) {
		return func(s *stepper.Status, now time.Time) {
			invalid(s)
			s.Phase, s.Weight, s.HoldSince = stepper.PhaseRollingBack, 0, nil
			moved(s, reason, now)
		}
	}
	rollback := func(reason string) stepper.Actions {
		return stepper.Actions{Route: true, Requeue: time.Minute, Events: []stepper.Event{warning(reason)}}
	}
	for name, tc := range map[string]struct {
		status  stepper.Status
		obs     stepper.Observations
		want    func(*stepper.Status, time.Time)
		actions stepper.Actions
	}{
		"a step holds from the first invalid decision, weight and replicas untouched": {
			status: stepping(2, -time.Minute), obs: observed(stepping(2, -time.Minute)),
			want: func(s *stepper.Status, now time.Time) {
				invalid(s)
				s.HoldSince = &now
				moved(s, stepper.ReasonHolding, now)
			},
			actions: stepper.Actions{Requeue: time.Minute, Events: []stepper.Event{warning(stepper.ReasonInvalidConfig), warning(stepper.ReasonHolding)}},
		},
		"a step held before keeps its hold clock and asks to look again at the next check": {
			status:  with(stepping(2, -time.Minute), heldSince(-20*time.Minute)),
			obs:     observed(stepping(2, -time.Minute)),
			actions: stepper.Actions{Requeue: time.Minute},
		},
		"a step held for max-hold rolls back to weight 0": {
			status:  with(stepping(2, -time.Hour), heldSince(-30*time.Minute)),
			obs:     observed(stepping(2, -time.Hour)),
			want:    rolledBack(stepper.ReasonHoldTimeout),
			actions: rollback(stepper.ReasonHoldTimeout),
		},
		"waiting for the canary rolls back at the progress deadline": {
			status:  with(stepping(0, -10*time.Minute), invalid),
			obs:     with(observed(stepping(0, 0)), func(o *stepper.Observations) { o.CanaryAvailable = false }),
			want:    rolledBack(stepper.ReasonProgressDeadlineExceeded),
			actions: rollback(stepper.ReasonProgressDeadlineExceeded),
		},
		"waiting for a canary that reported progress since does not roll back at the deadline after the start": {
			status: with(stepping(0, -10*time.Minute), invalid),
			obs: with(observed(stepping(0, 0)), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryProgressAt = false, t0.Add(-2*time.Minute)
			}),
			actions: stepper.Actions{Requeue: time.Minute},
		},
		"waiting for the canary before the deadline only asks to look again": {
			status:  with(stepping(0, -9*time.Minute-30*time.Second), invalid),
			obs:     with(observed(stepping(0, 0)), func(o *stepper.Observations) { o.CanaryAvailable = false }),
			actions: stepper.Actions{Requeue: 30 * time.Second},
		},
		"a rollback ends Failed once weight 0 holds, the canary kept until the config is valid": {
			status: with(rollingBack(), invalid), obs: observed(rollingBack()),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.TransitionTime, s.TrafficLeftAt = stepper.PhaseFailed, now, &now
			},
			actions: stepper.Actions{Events: []stepper.Event{warning(stepper.ReasonRolledBack)}},
		},
		"an idle canary only records and reports the problem": {
			status: ready(), obs: observed(ready()),
			want:    func(s *stepper.Status, _ time.Time) { invalid(s) },
			actions: stepper.Actions{Events: []stepper.Event{warning(stepper.ReasonInvalidConfig)}},
		},
		"the same problems are reported once": {
			status: with(ready(), invalid), obs: observed(ready()),
		},
		"a paused step stays paused: the user froze it": {
			status: paused(2, -time.Hour, -50*time.Minute), obs: observed(paused(2, -time.Hour, -50*time.Minute)),
			want:    func(s *stepper.Status, _ time.Time) { invalid(s) },
			actions: stepper.Actions{Events: []stepper.Event{warning(stepper.ReasonInvalidConfig)}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			want := tc.status
			if tc.want != nil {
				tc.want(&want, t0)
			}
			got, actions := stepper.Invalid(testConfig(), tc.status, tc.obs, problems, t0)
			if d := cmp.Diff(want, got, ignoreMessages); d != "" {
				t.Errorf("status (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.actions, actions, ignoreMessages, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("actions (-want +got):\n%s", d)
			}
		})
	}
}

func TestNextClearsAConfigErrorOnceTheConfigurationIsValid(t *testing.T) {
	runNext(t, map[string]nextCase{
		"an idle canary says its configuration is valid again": {
			status: with(ready(), func(s *stepper.Status) { s.ConfigError = "annotation meshcanary.io/steps=..." }),
			obs:    observed(ready()),
			want:   func(s *stepper.Status, _ time.Time) { s.ConfigError = "" },
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown,
				Events: []stepper.Event{normal(stepper.ReasonConfigValid)}},
		},
	})
}
