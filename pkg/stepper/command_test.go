package stepper_test

import (
	"errors"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestParseCommand(t *testing.T) {
	for value, want := range map[string]string{
		"promote":           "promote",
		"abort":             "abort",
		"retry":             "retry",
		"pause":             "pause",
		"resume":            "resume",
		"promote/1":         "promote",
		"abort/2025-03-03a": "abort",
		"retry/a/b":         "retry",
	} {
		t.Run("the value "+value+" is the verb "+want, func(t *testing.T) {
			got, err := stepper.ParseCommand(value)
			if err != nil || got != want {
				t.Errorf("ParseCommand(%q) = %q, %v; want %q", value, got, err, want)
			}
		})
	}
	for _, value := range []string{"", "Promote", "promote/", "/1", " pause", "rollback", "resume-now"} {
		t.Run("the value "+value+" is not a command", func(t *testing.T) {
			got, err := stepper.ParseCommand(value)
			if !errors.Is(err, stepper.ErrInvalidCommand) || got != "" {
				t.Errorf("ParseCommand(%q) = %q, %v; want ErrInvalidCommand", value, got, err)
			}
		})
	}
}

func TestNextCommands(t *testing.T) {
	early := stepping(1, -2*time.Minute)
	command := func(s stepper.Status, c string) stepper.Observations {
		return with(observed(s), func(o *stepper.Observations) { o.Command = c })
	}
	acked := func(c string, change func(s *stepper.Status, now time.Time)) func(s *stepper.Status, now time.Time) {
		return func(s *stepper.Status, now time.Time) {
			s.CommandAck = c
			if change != nil {
				change(s, now)
			}
		}
	}
	promoted := func(s *stepper.Status, now time.Time) {
		s.Phase, s.StepStart, s.PausedFrom, s.PausedAt, s.PauseCommand = stepper.PhasePromoting, &now, "", nil, false
		moved(s, stepper.ReasonPromoting, now)
	}
	promoteActions := stepper.Actions{Route: true, PrimaryRevision: "r1", Canary: stepper.ScaleUp, Requeue: time.Minute,
		Events: []stepper.Event{normal(stepper.ReasonPromoting)}}
	aborted := func(s *stepper.Status, now time.Time) {
		s.Phase, s.Weight = stepper.PhaseRollingBack, 0
		moved(s, stepper.ReasonAborted, now)
	}
	pausedByCommand := with(paused(1, -10*time.Minute, -8*time.Minute), func(s *stepper.Status) { s.PauseCommand = true })
	revertedWhilePaused := with(rollingBack(), func(s *stepper.Status) {
		s.Revision, s.Reason, s.PauseCommand = "r0", stepper.ReasonReverted, true
	})
	ignored := func(a stepper.Actions) stepper.Actions {
		a.Events = []stepper.Event{warning(stepper.ReasonCommandIgnored)}
		return a
	}
	runNext(t, map[string]nextCase{
		"promote during a step skips the remaining steps": {
			status: early, obs: command(early, "promote"),
			want: acked("promote", promoted), actions: promoteActions,
		},
		"promote while paused at a step promotes": {
			status: pausedByCommand, obs: command(pausedByCommand, "promote"),
			want: acked("promote", promoted), actions: promoteActions,
		},
		"abort during a step rolls back with one write": {
			status: early, obs: command(early, "abort"),
			want: acked("abort", aborted), actions: rolledBackBy(stepper.ReasonAborted),
		},
		"abort at step 0 fails in one decision": {
			status: stepping(0, -time.Minute),
			obs:    with(command(stepping(0, 0), "abort"), func(o *stepper.Observations) { o.CanaryAvailable = false }),
			want: acked("abort", func(s *stepper.Status, now time.Time) {
				aborted(s, now)
				s.Phase = stepper.PhaseFailed
			}),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown, Events: []stepper.Event{
				warning(stepper.ReasonAborted), warning(stepper.ReasonRolledBack)}},
		},
		"retry of the failed revision restarts it from step 0": {
			status: failed(),
			obs:    with(command(stepping(0, 0), "retry"), func(o *stepper.Observations) { o.CanaryAvailable = false }),
			want: acked("retry", func(s *stepper.Status, now time.Time) {
				s.Phase, s.Step, s.Weight, s.FailedChecks, s.Verdicts = stepper.PhaseProgressing, 0, 0, 0, nil
				s.ReleaseStart, s.StepStart = &now, &now
				moved(s, stepper.ReasonReleaseStarted, now)
			}),
			actions: running(time.Minute, normal(stepper.ReasonReleaseStarted)),
		},
		"retry after the template went back to the stable revision is ignored": {
			status: failed(), obs: with(command(failed(), "retry"), func(o *stepper.Observations) { o.Revision = "r0" }),
			want: acked("retry", nil), actions: ignored(stepper.Actions{Route: true, Canary: stepper.ScaleDown}),
		},
		"retry during a step is ignored": {
			status: early, obs: command(early, "retry"),
			want: acked("retry", nil), actions: ignored(running(time.Minute)),
		},
		"abort while ready is ignored": {
			status: ready(), obs: command(ready(), "abort"),
			want: acked("abort", nil), actions: ignored(stepper.Actions{Route: true, Canary: stepper.ScaleDown}),
		},
		"pause during a step freezes it": {
			status: early, obs: command(early, "pause"),
			want: acked("pause", func(s *stepper.Status, now time.Time) {
				s.Phase, s.PausedFrom, s.PausedAt, s.PauseCommand = stepper.PhasePaused, stepper.PhaseProgressing, &now, true
				moved(s, stepper.ReasonPaused, now)
			}),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, Events: []stepper.Event{normal(stepper.ReasonPaused)}},
		},
		"pause while ready holds back a new release": {
			status: ready(), obs: with(command(ready(), "pause"), func(o *stepper.Observations) { o.Revision = "r1" }),
			want: acked("pause", func(s *stepper.Status, now time.Time) {
				s.Phase, s.PausedFrom, s.PausedAt, s.PauseCommand = stepper.PhasePaused, stepper.PhaseReady, &now, true
				moved(s, stepper.ReasonPaused, now)
			}),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown, Events: []stepper.Event{normal(stepper.ReasonPaused)}},
		},
		"pause during promotion is ignored": {
			status: promoting(), obs: with(command(promoting(), "pause"), func(o *stepper.Observations) { o.PrimaryRevision = "r0" }),
			want:    acked("pause", nil),
			actions: ignored(stepper.Actions{Route: true, PrimaryRevision: "r1", Canary: stepper.ScaleUp, Requeue: time.Minute}),
		},
		"resume continues the step with the bake time it had left": {
			status: pausedByCommand, obs: command(pausedByCommand, "resume"),
			want: acked("resume", func(s *stepper.Status, now time.Time) {
				s.Phase, s.StepStart, s.PausedFrom, s.PausedAt, s.PauseCommand = stepper.PhaseProgressing, at(-2*time.Minute), "", nil, false
				moved(s, stepper.ReasonResumed, now)
			}),
			actions: running(time.Minute, normal(stepper.ReasonResumed)),
		},
		"resume moves the hold clock by the paused time too": {
			status: with(pausedByCommand, func(s *stepper.Status) { s.StepStart, s.HoldSince = at(-15*time.Minute), at(-9*time.Minute) }),
			obs:    command(pausedByCommand, "resume"),
			want: acked("resume", func(s *stepper.Status, now time.Time) {
				s.Phase, s.PausedFrom, s.PausedAt, s.PauseCommand = stepper.PhaseProgressing, "", nil, false
				s.StepStart, s.HoldSince = at(-7*time.Minute), at(-time.Minute)
				moved(s, stepper.ReasonResumed, now)
			}),
			actions: running(time.Minute, normal(stepper.ReasonResumed)),
		},
		"resume while the paused annotation holds only releases the command": {
			config: func(c *config.Config) { c.Paused = true },
			status: pausedByCommand, obs: command(pausedByCommand, "resume"),
			want: acked("resume", func(s *stepper.Status, now time.Time) { s.PauseCommand = false }),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp,
				Events: []stepper.Event{normal(stepper.ReasonCommandAcknowledged)}},
		},
		"pause while paused by the annotation holds the canary after the annotation goes": {
			config: func(c *config.Config) { c.Paused = true },
			status: paused(1, -10*time.Minute, -8*time.Minute), obs: command(early, "pause"),
			want: acked("pause", func(s *stepper.Status, now time.Time) { s.PauseCommand = true }),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp,
				Events: []stepper.Event{normal(stepper.ReasonCommandAcknowledged)}},
		},
		"resume after a revert during a pause releases the command": {
			status: revertedWhilePaused,
			obs:    with(command(revertedWhilePaused, "resume"), func(o *stepper.Observations) { o.AppliedWeight = 10 }),
			want:   acked("resume", func(s *stepper.Status, now time.Time) { s.PauseCommand = false }),
			actions: stepper.Actions{Route: true, Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonCommandAcknowledged)}},
		},
		"a pause command still held after a revert pauses the idle canary": {
			status: revertedWhilePaused,
			obs:    observed(revertedWhilePaused),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.PausedFrom, s.PausedAt = stepper.PhasePaused, stepper.PhaseSucceeded, &now
				moved(s, stepper.ReasonPaused, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown, Events: []stepper.Event{
				normal(stepper.ReasonRolledBack), normal(stepper.ReasonPaused)}},
		},
		"resume when nothing is paused is ignored": {
			status: early, obs: command(early, "resume"),
			want: acked("resume", nil), actions: ignored(running(time.Minute)),
		},
		"an invalid command is acknowledged with a warning and nothing else": {
			status: early, obs: command(early, "promote-now"),
			want: acked("promote-now", nil),
			actions: with(running(time.Minute), func(a *stepper.Actions) {
				a.Events = []stepper.Event{warning(stepper.ReasonInvalidCommand)}
			}),
		},
		"an acknowledged command is not acted on again": {
			status:  with(early, func(s *stepper.Status) { s.CommandAck = "abort" }),
			obs:     command(early, "abort"),
			actions: running(time.Minute),
		},
		"the same verb with a new nonce is acted on again": {
			status: with(early, func(s *stepper.Status) { s.CommandAck = "abort/1" }),
			obs:    command(early, "abort/2"),
			want:   acked("abort/2", aborted), actions: rolledBackBy(stepper.ReasonAborted),
		},
		"a removed command annotation is nothing to act on": {
			status:  with(early, func(s *stepper.Status) { s.CommandAck = "promote" }),
			obs:     command(early, ""),
			actions: running(time.Minute),
		},
		"a command at adoption is acknowledged and ignored": {
			obs: stepper.Observations{Revision: "r0", Command: "promote"},
			want: acked("promote", func(s *stepper.Status, now time.Time) {
				*s = with(initializing(0), func(s *stepper.Status) { s.CommandAck = "promote" })
			}),
			actions: stepper.Actions{PrimaryRevision: "r0", Requeue: time.Minute, Events: []stepper.Event{
				normal(stepper.ReasonInitializing), warning(stepper.ReasonCommandIgnored)}},
		},
	})
}
