package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestNextPromotion(t *testing.T) {
	primaryAt := func(s stepper.Status, revision string, available bool) stepper.Observations {
		return with(observed(s), func(o *stepper.Observations) { o.PrimaryRevision, o.PrimaryAvailable = revision, available })
	}
	promoted := with(promoting(), func(s *stepper.Status) {
		s.StableRevision, s.Weight, s.Reason = "r1", 0, stepper.ReasonPrimaryUpdated
	})
	waiting := stepper.Actions{Route: true, PrimaryRevision: "r1", Canary: stepper.ScaleUp, Requeue: time.Minute}
	succeeded := func(s *stepper.Status, now time.Time) {
		s.Phase, s.StableRevision, s.Weight = stepper.PhaseSucceeded, "r1", 0
		moved(s, stepper.ReasonPromoted, now)
	}
	runNext(t, map[string]nextCase{
		"promotion asks for the released template on the primary and keeps the weight": {
			status:  promoting(),
			obs:     primaryAt(promoting(), "r0", true),
			actions: waiting,
		},
		"promotion waits for the primary's rollout": {
			status:  promoting(),
			obs:     primaryAt(promoting(), "r1", false),
			actions: waiting,
		},
		"a promoted primary takes all traffic back and succeeds in the same write, the canary kept until the route is seen": {
			status: promoting(),
			obs:    primaryAt(promoting(), "r1", true),
			want: func(s *stepper.Status, now time.Time) {
				succeeded(s, now)
				s.TrafficLeftAt = &now
			},
			actions: stepper.Actions{Route: true, Requeue: time.Second, Events: []stepper.Event{
				normal(stepper.ReasonPrimaryUpdated), normal(stepper.ReasonPromoted)}},
		},
		"promotion succeeds once all traffic is on the primary": {
			status: promoted,
			obs:    observed(promoted),
			want:   succeeded,
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown,
				Events: []stepper.Event{normal(stepper.ReasonPromoted)}},
		},
		"a promotion without canary traffic finishes in one decision": {
			status: with(promoting(), func(s *stepper.Status) { s.Step, s.Weight = 0, 0 }),
			obs:    primaryAt(with(promoting(), func(s *stepper.Status) { s.Weight = 0 }), "r1", true),
			want:   succeeded,
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown, Events: []stepper.Event{
				normal(stepper.ReasonPrimaryUpdated), normal(stepper.ReasonPromoted)}},
		},
		"promotion warns once when the primary misses the progress deadline and keeps the weight": {
			status: with(promoting(), func(s *stepper.Status) { s.StepStart = at(-10 * time.Minute) }),
			obs:    primaryAt(promoting(), "r1", false),
			want: func(s *stepper.Status, now time.Time) {
				moved(s, stepper.ReasonProgressDeadlineExceeded, now)
			},
			actions: with(waiting, func(a *stepper.Actions) {
				a.Events = []stepper.Event{warning(stepper.ReasonProgressDeadlineExceeded)}
			}),
		},
		"promotion does not warn while the primary reported progress within the deadline": {
			status: with(promoting(), func(s *stepper.Status) { s.StepStart = at(-15 * time.Minute) }),
			obs: with(primaryAt(promoting(), "r1", false), func(o *stepper.Observations) {
				o.PrimaryProgressAt = t0.Add(-5 * time.Minute)
			}),
			actions: waiting,
		},
		"promotion does not warn while the Deployment controller has not observed the primary's new template": {
			status: with(promoting(), func(s *stepper.Status) { s.StepStart = at(-15 * time.Minute) }),
			obs: with(primaryAt(promoting(), "r1", false), func(o *stepper.Observations) {
				o.PrimaryUnobserved = true
			}),
			actions: waiting,
		},
		"promotion warns once the primary reported no progress for the deadline": {
			status: with(promoting(), func(s *stepper.Status) { s.StepStart = at(-15 * time.Minute) }),
			obs: with(primaryAt(promoting(), "r1", false), func(o *stepper.Observations) {
				o.PrimaryProgressAt = t0.Add(-10 * time.Minute)
			}),
			want: func(s *stepper.Status, now time.Time) {
				moved(s, stepper.ReasonProgressDeadlineExceeded, now)
			},
			actions: with(waiting, func(a *stepper.Actions) {
				a.Events = []stepper.Event{warning(stepper.ReasonProgressDeadlineExceeded)}
			}),
		},
		"promotion requeues at the progress deadline when it comes before the next check": {
			config:  func(c *config.Config) { c.CheckInterval = 5 * time.Minute },
			status:  with(promoting(), func(s *stepper.Status) { s.StepStart = at(-9*time.Minute - 30*time.Second) }),
			obs:     primaryAt(promoting(), "r1", false),
			actions: with(waiting, func(a *stepper.Actions) { a.Requeue = 30 * time.Second }),
		},
	})
}

func TestNextRollback(t *testing.T) {
	runNext(t, map[string]nextCase{
		"rolling back waits for weight 0 to be applied": {
			status:  rollingBack(),
			obs:     with(observed(rollingBack()), func(o *stepper.Observations) { o.AppliedWeight = 10 }),
			actions: stepper.Actions{Route: true, Requeue: time.Minute},
		},
		"rolling back ends failed and keeps the rollback's reason": {
			status: rollingBack(),
			obs:    observed(rollingBack()),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.TransitionTime = stepper.PhaseFailed, now
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown,
				Events: []stepper.Event{warning(stepper.ReasonRolledBack)}},
		},
		"a rollback that finds a newer template starts its release": {
			status: rollingBack(),
			obs: with(observed(rollingBack()), func(o *stepper.Observations) {
				o.Revision, o.CanaryHash, o.CanaryAvailable = "r2", "h2", false
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Revision, s.CanaryHash, s.Step = stepper.PhaseProgressing, "r2", "h2", 0
				s.ReleaseStart, s.StepStart, s.FailedChecks, s.Verdicts = &now, &now, 0, nil
				moved(s, stepper.ReasonReleaseStarted, now)
			},
			actions: running(time.Minute, warning(stepper.ReasonRolledBack), normal(stepper.ReasonReleaseStarted)),
		},
	})
}

func TestNextNewRevisionDuringRelease(t *testing.T) {
	mid := with(stepping(2, -time.Minute), func(s *stepper.Status) { s.FailedChecks, s.Verdicts = 1, failing })
	template := func(s stepper.Status, revision, hash, primary string) stepper.Observations {
		return with(observed(s), func(o *stepper.Observations) {
			o.Revision, o.CanaryHash, o.CanaryAvailable, o.PrimaryRevision = revision, hash, false, primary
		})
	}
	superseded := func(revision, hash, stable string) func(s *stepper.Status, now time.Time) {
		return func(s *stepper.Status, now time.Time) {
			s.Phase, s.Revision, s.CanaryHash, s.StableRevision = stepper.PhaseProgressing, revision, hash, stable
			s.Step, s.Weight, s.FailedChecks, s.Verdicts = 0, 0, 0, nil
			s.ReleaseStart, s.StepStart, s.Superseded = &now, &now, 1
			moved(s, stepper.ReasonSuperseded, now)
		}
	}
	restarted := running(time.Minute, normal(stepper.ReasonSuperseded))
	runNext(t, map[string]nextCase{
		"a new revision during a step supersedes the release and returns traffic to the primary": {
			status:  mid,
			obs:     template(mid, "r2", "h2", "r0"),
			want:    superseded("r2", "h2", "r0"),
			actions: restarted,
		},
		"a new revision during promotion before the primary got the template supersedes it": {
			status:  promoting(),
			obs:     template(promoting(), "r2", "h2", "r0"),
			want:    superseded("r2", "h2", "r0"),
			actions: restarted,
		},
		"a new revision after the primary got the released template makes it stable and supersedes": {
			status:  promoting(),
			obs:     template(promoting(), "r2", "h2", "r1"),
			want:    superseded("r2", "h2", "r1"),
			actions: restarted,
		},
		"a template reverted to the stable revision during a step rolls back without promotion": {
			status: mid,
			obs:    template(mid, "r0", "h0", "r0"),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Revision, s.Weight = stepper.PhaseRollingBack, "r0", 0
				moved(s, stepper.ReasonReverted, now)
			},
			actions: stepper.Actions{Route: true, Requeue: time.Minute, Events: []stepper.Event{normal(stepper.ReasonReverted)}},
		},
		"a reverted release ends succeeded on the stable revision": {
			status: with(rollingBack(), func(s *stepper.Status) { s.Revision, s.Reason = "r0", stepper.ReasonReverted }),
			obs:    template(rollingBack(), "r0", "h0", "r0"),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.TransitionTime = stepper.PhaseSucceeded, now
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown,
				Events: []stepper.Event{normal(stepper.ReasonRolledBack)}},
		},
		"a template reverted during promotion after the primary got the new one is released as a canary": {
			status:  promoting(),
			obs:     template(promoting(), "r0", "h0", "r1"),
			want:    superseded("r0", "h0", "r1"),
			actions: restarted,
		},
	})
}

func TestNextResumesAnInterruptedPromotion(t *testing.T) {
	primaryRuns := func(s stepper.Status, available bool) stepper.Observations {
		return with(observed(s), func(o *stepper.Observations) { o.PrimaryRevision, o.PrimaryAvailable = "r1", available })
	}
	resumed := func(s *stepper.Status, now time.Time) {
		s.Phase, s.StepStart, s.HoldSince = stepper.PhasePromoting, &now, nil
		s.PausedFrom, s.PausedAt = "", nil
		moved(s, stepper.ReasonPromotionResumed, now)
	}
	waiting := stepper.Actions{Route: true, PrimaryRevision: "r1", Canary: stepper.ScaleUp, Requeue: time.Minute,
		Events: []stepper.Event{warning(stepper.ReasonPromotionResumed)}}
	completed := func(s *stepper.Status, now time.Time) {
		resumed(s, now)
		s.Phase, s.StableRevision, s.Weight = stepper.PhaseSucceeded, "r1", 0
		moved(s, stepper.ReasonPromoted, now)
	}
	completedActions := stepper.Actions{Route: true, Canary: stepper.ScaleDown, Events: []stepper.Event{
		warning(stepper.ReasonPromotionResumed), normal(stepper.ReasonPrimaryUpdated), normal(stepper.ReasonPromoted)}}
	runNext(t, map[string]nextCase{
		"a step whose primary already runs the released revision is promoting, weight kept": {
			status:  stepping(2, -time.Minute),
			obs:     primaryRuns(stepping(2, -time.Minute), false),
			want:    resumed,
			actions: waiting,
		},
		"a paused step whose primary already runs the released revision is promoting, unpaused": {
			status:  paused(2, -3*time.Minute, -time.Minute),
			obs:     primaryRuns(paused(2, -3*time.Minute, -time.Minute), false),
			want:    resumed,
			actions: waiting,
		},
		"a rollback whose primary already runs the rejected revision ends promoted, not Failed": {
			status:  rollingBack(),
			obs:     primaryRuns(rollingBack(), true),
			want:    completed,
			actions: completedActions,
		},
		"a failed release whose primary runs its revision ends promoted": {
			status:  failed(),
			obs:     primaryRuns(failed(), true),
			want:    completed,
			actions: completedActions,
		},
		"an abort while the primary already runs the revision is ignored: the copy cannot be undone": {
			status: stepping(2, -time.Minute),
			obs: with(primaryRuns(stepping(2, -time.Minute), false), func(o *stepper.Observations) {
				o.Command = "abort/1"
			}),
			want: func(s *stepper.Status, now time.Time) {
				resumed(s, now)
				s.CommandAck = "abort/1"
			},
			actions: with(waiting, func(a *stepper.Actions) {
				a.Events = append(a.Events, warning(stepper.ReasonCommandIgnored))
			}),
		},
	})
}
