package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// primaryReady is the world once the primary serves r0 and the route holds
// all traffic on it, with the user's template at revision.
func primaryReady(revision, hash string) stepper.Observations {
	return stepper.Observations{
		Revision: revision, CanaryHash: hash, PrimaryExists: true, PrimaryRevision: "r0", PrimaryAvailable: true,
		SubsetsReady: true, SubsetAge: time.Hour, Routed: true,
	}
}

func TestNextAdoption(t *testing.T) {
	primaryCreated := stepper.Observations{Revision: "r0", PrimaryExists: true, PrimaryRevision: "r0", SubsetsReady: true, SubsetAge: time.Hour}
	primaryAvailable := with(primaryCreated, func(o *stepper.Observations) { o.PrimaryAvailable = true })
	waiting := stepper.Actions{PrimaryRevision: "r0", Requeue: time.Minute}
	runNext(t, map[string]nextCase{
		"an empty status starts adoption and asks for a primary from the current template": {
			obs: stepper.Observations{Revision: "r0", CanaryHash: "h0", CanaryAvailable: true},
			want: func(s *stepper.Status, now time.Time) {
				*s = initializing(0)
			},
			actions: stepper.Actions{PrimaryRevision: "r0", Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonInitializing)}},
		},
		"adoption keeps the revision of an existing primary so that a lost status promotes nothing": {
			obs: with(primaryAvailable, func(o *stepper.Observations) { o.Revision, o.SubsetsReady = "r1", false }),
			want: func(s *stepper.Status, now time.Time) {
				*s = initializing(0)
			},
			actions: stepper.Actions{Requeue: time.Minute, Events: []stepper.Event{normal(stepper.ReasonInitializing)}},
		},
		"adoption waits for the primary to become available": {
			status:  initializing(-2 * time.Minute),
			obs:     primaryCreated,
			actions: waiting,
		},
		"adoption waits for the primary subset before routing": {
			status:  initializing(-2 * time.Minute),
			obs:     with(primaryAvailable, func(o *stepper.Observations) { o.SubsetsReady = false }),
			actions: waiting,
		},
		"adoption waits until the primary subset is SubsetLead old before routing (make before break)": {
			status:  initializing(-2 * time.Minute),
			obs:     with(primaryAvailable, func(o *stepper.Observations) { o.SubsetAge = 300 * time.Millisecond }),
			actions: stepper.Actions{PrimaryRevision: "r0", Requeue: 700 * time.Millisecond}, // the 700 ms left
		},
		"adoption routes all traffic to the primary once it and its subset are ready": {
			status:  initializing(-2 * time.Minute),
			obs:     primaryAvailable,
			actions: stepper.Actions{Route: true, PrimaryRevision: "r0", Requeue: time.Minute},
		},
		"adoption ends ready once the route holds all traffic on the primary": {
			status: initializing(-2 * time.Minute),
			obs:    primaryReady("r0", ""),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase = stepper.PhaseReady
				moved(s, stepper.ReasonReady, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown,
				Events: []stepper.Event{normal(stepper.ReasonReady)}},
		},
		"adoption leaves the user's replicas alone when scale-down is off": {
			config: func(c *config.Config) { c.ScaleDownCanary = false },
			status: initializing(-2 * time.Minute),
			obs:    primaryReady("r0", ""),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase = stepper.PhaseReady
				moved(s, stepper.ReasonReady, now)
			},
			actions: stepper.Actions{Route: true, Events: []stepper.Event{normal(stepper.ReasonReady)}},
		},
		"adoption warns once when the primary misses the progress deadline": {
			status: initializing(-10 * time.Minute),
			obs:    primaryCreated,
			want: func(s *stepper.Status, now time.Time) {
				moved(s, stepper.ReasonProgressDeadlineExceeded, now)
			},
			actions: with(waiting, func(a *stepper.Actions) {
				a.Events = []stepper.Event{warning(stepper.ReasonProgressDeadlineExceeded)}
			}),
		},
		"adoption does not warn while the primary reported progress within the deadline": {
			status:  initializing(-15 * time.Minute),
			obs:     with(primaryCreated, func(o *stepper.Observations) { o.PrimaryProgressAt = t0.Add(-3 * time.Minute) }),
			actions: waiting,
		},
		"adoption keeps waiting without repeating the deadline warning": {
			status: with(initializing(-20*time.Minute), func(s *stepper.Status) {
				s.Reason = stepper.ReasonProgressDeadlineExceeded
			}),
			obs:     primaryCreated,
			actions: waiting,
		},
		"adoption follows a template change until the primary exists": {
			status: initializing(-time.Minute),
			obs:    stepper.Observations{Revision: "r1"},
			want: func(s *stepper.Status, now time.Time) {
				s.Revision, s.StableRevision = "r1", "r1"
			},
			actions: stepper.Actions{PrimaryRevision: "r1", Requeue: time.Minute},
		},
		"a template change during adoption is released as a canary once adoption ends": {
			status: initializing(-time.Minute),
			obs:    primaryReady("r1", "h1"),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Revision, s.CanaryHash = stepper.PhaseProgressing, "r1", "h1"
				s.ReleaseStart, s.StepStart = &now, &now
				moved(s, stepper.ReasonReleaseStarted, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonReady), normal(stepper.ReasonReleaseStarted)}},
		},
		"adoption requeues at the progress deadline when it comes before the next check": {
			config:  func(c *config.Config) { c.CheckInterval = 5 * time.Minute },
			status:  initializing(-9*time.Minute - 30*time.Second),
			obs:     primaryCreated,
			actions: with(waiting, func(a *stepper.Actions) { a.Requeue = 30 * time.Second }),
		},
	})
}

func TestNextIdle(t *testing.T) {
	succeeded := with(ready(), func(s *stepper.Status) {
		s.Phase, s.Revision, s.StableRevision, s.Reason = stepper.PhaseSucceeded, "r1", "r1", stepper.ReasonPromoted
	})
	idle := stepper.Actions{Route: true, Canary: stepper.ScaleDown}
	started := stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: time.Minute,
		Events: []stepper.Event{normal(stepper.ReasonReleaseStarted)}}
	release := func(revision, hash string) func(s *stepper.Status, now time.Time) {
		return func(s *stepper.Status, now time.Time) {
			s.Phase, s.Revision, s.CanaryHash = stepper.PhaseProgressing, revision, hash
			s.Step, s.Weight, s.FailedChecks, s.Verdicts = 0, 0, 0, nil
			s.ReleaseStart, s.StepStart = &now, &now
			moved(s, stepper.ReasonReleaseStarted, now)
		}
	}
	runNext(t, map[string]nextCase{
		"ready at the stable revision keeps all traffic on the primary and the canary idle": {
			status:  ready(),
			obs:     primaryReady("r0", "h0"),
			actions: idle,
		},
		"ready leaves the user's replicas alone when scale-down is off": {
			config:  func(c *config.Config) { c.ScaleDownCanary = false },
			status:  ready(),
			obs:     primaryReady("r0", "h0"),
			actions: stepper.Actions{Route: true},
		},
		"a new revision while ready starts a release at step 0": {
			status:  ready(),
			obs:     primaryReady("r1", "h1"),
			want:    release("r1", "h1"),
			actions: started,
		},
		"a release starts before the canary's hash is known": {
			status:  ready(),
			obs:     primaryReady("r1", ""),
			want:    release("r1", ""),
			actions: started,
		},
		"a new revision after a success starts a release": {
			status:  succeeded,
			obs:     primaryReady("r2", "h2"),
			want:    release("r2", "h2"),
			actions: started,
		},
		"the revision that failed does not restart on its own": {
			status:  failed(),
			obs:     primaryReady("r1", "h1"),
			actions: idle,
		},
		"a different revision after a failure starts a fresh release": {
			status:  failed(),
			obs:     primaryReady("r2", "h2"),
			want:    release("r2", "h2"),
			actions: started,
		},
		"a template back at the stable revision after a failure stays idle": {
			status:  failed(),
			obs:     primaryReady("r0", "h0"),
			actions: idle,
		},
	})
}
