package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestNextPostHooks(t *testing.T) {
	promoted := with(promoting(), func(s *stepper.Status) {
		s.StableRevision, s.Weight, s.Reason = "r1", 0, stepper.ReasonPrimaryUpdated
	})
	succeeded := with(promoted, func(s *stepper.Status) {
		s.Phase = stepper.PhaseSucceeded
		s.Hooks = []stepper.HookState{hookState(stepper.HookPostPromotion, stepper.HookPending, 1, at(-5*time.Second))}
	})
	idle := stepper.Actions{Route: true, Canary: stepper.ScaleDown}
	runNext(t, map[string]nextCase{
		"a promotion queues the post-promotion hook once all traffic is on the primary": {
			config: withHooks, status: promoted, obs: observed(promoted),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase = stepper.PhaseSucceeded
				s.Hooks = []stepper.HookState{hookState(stepper.HookPostPromotion, stepper.HookPending, 0, nil)}
				moved(s, stepper.ReasonPromoted, now)
			},
			actions: with(idle, func(a *stepper.Actions) {
				a.Requeue, a.Events = time.Second, []stepper.Event{normal(stepper.ReasonPromoted)}
			}),
		},
		"a post-promotion hook that fails its last attempt is reported and the release stays Succeeded": {
			config: withHooks, status: succeeded,
			obs: with(observed(succeeded), func(o *stepper.Observations) {
				o.HookAnswers = []stepper.HookAnswer{*hookAnswer(stepper.HookPostPromotion, promotedURL, 2, gates.HookError)}
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Hooks = []stepper.HookState{hookState(stepper.HookPostPromotion, stepper.HookFailed, 2, &now)}
				s.Hooks[0].Message = "because"
			},
			actions: with(idle, func(a *stepper.Actions) { a.Events = []stepper.Event{warning(stepper.ReasonHookFailed)} }),
		},
		"a post hook cannot refuse: its answer counts as success": {
			config: withHooks, status: succeeded,
			obs: with(observed(succeeded), func(o *stepper.Observations) {
				o.HookAnswers = []stepper.HookAnswer{*hookAnswer(stepper.HookPostPromotion, promotedURL, 2, gates.HookRefuse)}
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Hooks = []stepper.HookState{hookState(stepper.HookPostPromotion, stepper.HookSucceeded, 2, &now)}
				s.Hooks[0].Message = "because"
			},
			actions: with(idle, func(a *stepper.Actions) { a.Events = []stepper.Event{normal(stepper.ReasonHookSucceeded)} }),
		},
		"a rollback queues the post-rollback hook once weight 0 is applied": {
			config: withHooks, status: rollingBack(), obs: observed(rollingBack()),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.TransitionTime = stepper.PhaseFailed, now
				s.Hooks = []stepper.HookState{hookState(stepper.HookPostRollback, stepper.HookPending, 0, nil)}
			},
			actions: with(idle, func(a *stepper.Actions) {
				a.Requeue, a.Events = time.Second, []stepper.Event{warning(stepper.ReasonRolledBack)}
			}),
		},
		"a new release keeps the previous release's pending post hook and drops its finished ones": {
			config: withHooks,
			status: with(succeeded, func(s *stepper.Status) {
				s.Hooks = []stepper.HookState{
					hookState(stepper.HookPreRelease, stepper.HookSucceeded, 1, at(-time.Hour)),
					hookState(stepper.HookPostPromotion, stepper.HookPending, 1, at(-5*time.Second)),
				}
			}),
			obs: with(observed(succeeded), func(o *stepper.Observations) {
				o.Revision, o.CanaryHash, o.CanaryAvailable = "r2", "h2", false
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Revision, s.CanaryHash, s.Step, s.Steps, s.Weight = stepper.PhaseProgressing, "r2", "h2", 0, 3, 0
				s.ReleaseStart, s.StepStart = &now, &now
				s.Hooks = []stepper.HookState{hookState(stepper.HookPostPromotion, stepper.HookPending, 1, at(-5*time.Second))}
				moved(s, stepper.ReasonReleaseStarted, now)
			},
			actions: running(time.Second, normal(stepper.ReasonReleaseStarted)),
		},
	})
}
