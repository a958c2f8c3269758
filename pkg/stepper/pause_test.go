package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestNextPausedAnnotation(t *testing.T) {
	pausedAnnotation := func(c *config.Config) { c.Paused = true }
	pausedIn := func(phase stepper.Phase) func(s *stepper.Status, now time.Time) {
		return func(s *stepper.Status, now time.Time) {
			s.Phase, s.PausedFrom, s.PausedAt = stepper.PhasePaused, phase, &now
			moved(s, stepper.ReasonPaused, now)
		}
	}
	frozen := stepper.Actions{Route: true, Canary: stepper.ScaleUp}
	idle := stepper.Actions{Route: true, Canary: stepper.ScaleDown}
	events := func(a stepper.Actions, events ...stepper.Event) stepper.Actions {
		a.Events = events
		return a
	}
	atStep2 := paused(2, -3*time.Minute, -time.Minute)
	pausedReady := with(ready(), func(s *stepper.Status) {
		s.Phase, s.PausedFrom, s.PausedAt = stepper.PhasePaused, stepper.PhaseReady, at(-time.Hour)
	})
	newTemplate := func(s stepper.Status, revision, hash string) stepper.Observations {
		return with(observed(s), func(o *stepper.Observations) {
			o.Revision, o.CanaryHash, o.CanaryAvailable = revision, hash, false
		})
	}
	runNext(t, map[string]nextCase{
		"the paused annotation freezes a step": {
			config:  pausedAnnotation,
			status:  stepping(1, -2*time.Minute),
			obs:     observed(stepping(1, 0)),
			want:    pausedIn(stepper.PhaseProgressing),
			actions: events(frozen, normal(stepper.ReasonPaused)),
		},
		"a frozen step ignores verdicts and its bake time": {
			config: pausedAnnotation,
			status: paused(1, -time.Hour, -50*time.Minute),
			obs: with(observed(stepping(1, 0)), func(o *stepper.Observations) {
				o.Verdicts = failing
			}),
			actions: frozen,
		},
		"removing the paused annotation resumes with the bake time left": {
			status: paused(1, -10*time.Minute, -8*time.Minute),
			obs:    observed(stepping(1, 0)),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.StepStart, s.PausedFrom, s.PausedAt = stepper.PhaseProgressing, at(-2*time.Minute), "", nil
				moved(s, stepper.ReasonResumed, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonResumed)),
		},
		"a pause command outlives the annotation": {
			status:  with(paused(1, -10*time.Minute, -8*time.Minute), func(s *stepper.Status) { s.PauseCommand = true }),
			obs:     observed(stepping(1, 0)),
			actions: frozen,
		},
		"the paused annotation keeps a new revision from starting a release": {
			config:  pausedAnnotation,
			status:  ready(),
			obs:     primaryReady("r1", "h1"),
			want:    pausedIn(stepper.PhaseReady),
			actions: events(idle, normal(stepper.ReasonPaused)),
		},
		"a paused idle canary waits for a change without requeue": {
			config:  pausedAnnotation,
			status:  pausedReady,
			obs:     primaryReady("r1", "h1"),
			actions: idle,
		},
		"the release waiting behind the annotation starts when it goes": {
			status: pausedReady,
			obs:    primaryReady("r1", "h1"),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Revision, s.CanaryHash, s.PausedFrom, s.PausedAt = stepper.PhaseProgressing, "r1", "h1", "", nil
				s.ReleaseStart, s.StepStart = &now, &now
				moved(s, stepper.ReasonReleaseStarted, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonResumed), normal(stepper.ReasonReleaseStarted)),
		},
		"the paused annotation lets adoption finish first": {
			config:  pausedAnnotation,
			status:  initializing(-time.Minute),
			obs:     primaryReady("r0", ""),
			want:    pausedIn(stepper.PhaseReady),
			actions: events(idle, normal(stepper.ReasonReady), normal(stepper.ReasonPaused)),
		},
		"the paused annotation lets a promotion finish": {
			config: pausedAnnotation,
			status: with(promoting(), func(s *stepper.Status) { s.StableRevision, s.Weight = "r1", 0 }),
			obs:    observed(with(promoting(), func(s *stepper.Status) { s.StableRevision, s.Weight = "r1", 0 })),
			want: func(s *stepper.Status, now time.Time) {
				pausedIn(stepper.PhaseSucceeded)(s, now)
			},
			actions: events(idle, normal(stepper.ReasonPromoted), normal(stepper.ReasonPaused)),
		},
		"the paused annotation lets a rollback finish": {
			config:  pausedAnnotation,
			status:  rollingBack(),
			obs:     observed(rollingBack()),
			want:    pausedIn(stepper.PhaseFailed),
			actions: events(idle, warning(stepper.ReasonRolledBack), normal(stepper.ReasonPaused)),
		},
		"a new revision while paused at a step supersedes it and stays paused": {
			config: pausedAnnotation,
			status: atStep2,
			obs:    newTemplate(atStep2, "r2", "h2"),
			want: func(s *stepper.Status, now time.Time) {
				s.Revision, s.CanaryHash, s.Step, s.Weight, s.Superseded = "r2", "h2", 0, 0, 1
				s.ReleaseStart, s.StepStart = &now, &now
				moved(s, stepper.ReasonSuperseded, now)
			},
			actions: events(frozen, normal(stepper.ReasonSuperseded)),
		},
		"a release superseded while paused starts its step clock at resume": {
			status: with(paused(0, -5*time.Minute, -20*time.Minute), func(s *stepper.Status) { s.Superseded = 1 }),
			obs:    newTemplate(stepping(0, 0), "r1", "h1"),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.StepStart, s.PausedFrom, s.PausedAt = stepper.PhaseProgressing, &now, "", nil
				moved(s, stepper.ReasonResumed, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonResumed)),
		},
		"a template reverted while paused at a step rolls back": {
			config: pausedAnnotation,
			status: atStep2,
			obs:    newTemplate(atStep2, "r0", "h0"),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Revision, s.Weight, s.PausedFrom, s.PausedAt = stepper.PhaseRollingBack, "r0", 0, "", nil
				moved(s, stepper.ReasonReverted, now)
			},
			actions: stepper.Actions{Route: true, Requeue: time.Minute, Events: []stepper.Event{normal(stepper.ReasonReverted)}},
		},
	})
}
