package stepper_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// swapConfig is testConfig promoted by role swap.
func swapConfig(c *config.Config) { c.Promotion = config.PromotionSwap }

// swapStepping is stepping(step, start) of a Deployment promoted by role
// swap, slot a primary: no canary hash.
func swapStepping(step int, start time.Duration) stepper.Status {
	return with(stepping(step, start), func(s *stepper.Status) { s.PrimarySlot, s.CanaryHash = config.SlotA, "" })
}

// swapObserved is observed(s) with both slots at 3 replicas.
func swapObserved(s stepper.Status) stepper.Observations {
	return with(observed(s), func(o *stepper.Observations) {
		three := int32(3)
		o.PrimaryReplicas, o.CanaryReplicas = &three, 3
	})
}

// drainFor30s is swapConfig with a scale-down delay of 30 s.
func drainFor30s(c *config.Config) { swapConfig(c); c.ScaleDownDelay = 30 * time.Second }

// swappedAgo is the status a swap to slot b left, ago: revision r1 is
// stable, and the traffic left slot a then.
func swappedAgo(ago time.Duration) stepper.Status {
	return with(ready(), func(s *stepper.Status) {
		s.Phase, s.PrimarySlot, s.Revision, s.StableRevision = stepper.PhaseSucceeded, config.SlotB, "r1", "r1"
		s.TrafficLeftAt, s.PrimaryReplicas = at(-ago), 3
	})
}

// supersededAgo is step 0 of revision r2, which superseded a release of
// promoted by role swap under weight ago: the traffic left the canary's
// slot at the supersede.
func supersededAgo(ago time.Duration) stepper.Status {
	return with(swapStepping(0, -ago), func(s *stepper.Status) {
		s.Revision, s.Superseded, s.TrafficLeftAt = "r2", 1, s.StepStart
	})
}

// revisionAfterSwap observes the user's template at rev after a swap to
// r1: slot a, the canary's now, still runs r1.
func revisionAfterSwap(rev string) stepper.Observations {
	return with(swapObserved(ready()), func(o *stepper.Observations) {
		o.Revision, o.PrimaryRevision, o.CanaryAvailable = rev, "r1", false
	})
}

func TestNextSwap(t *testing.T) {
	last := swapStepping(3, -6*time.Minute)
	runNext(t, map[string]nextCase{
		"adoption by role swap makes slot a the primary": {
			config: swapConfig,
			obs:    stepper.Observations{Revision: "r0"},
			want: func(s *stepper.Status, now time.Time) {
				*s = with(initializing(0), func(s *stepper.Status) { s.PrimarySlot = config.SlotA })
			},
			actions: stepper.Actions{PrimaryRevision: "r0", Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonInitializing)}},
		},
		"adoption after a lost status keeps the slot the controller found serving": {
			config: swapConfig,
			obs:    stepper.Observations{Revision: "r1", PrimarySlot: config.SlotB, PrimaryExists: true, PrimaryRevision: "r0"},
			want: func(s *stepper.Status, now time.Time) {
				*s = with(initializing(0), func(s *stepper.Status) { s.PrimarySlot = config.SlotB })
			},
			actions: stepper.Actions{Requeue: time.Minute, Events: []stepper.Event{normal(stepper.ReasonInitializing)}},
		},
		"a release starts at step 0 and copies the template to the canary's slot": {
			config: swapConfig,
			status: with(ready(), func(s *stepper.Status) { s.PrimarySlot = config.SlotA }),
			obs:    with(swapObserved(ready()), func(o *stepper.Observations) { o.Revision, o.CanaryAvailable = "r1", false }),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Revision = stepper.PhaseProgressing, "r1"
				s.ReleaseStart, s.StepStart = &now, &now
				moved(s, stepper.ReasonReleaseStarted, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, CanaryRevision: "r1", Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonReleaseStarted)}},
		},
		"step 0 needs no pod-template-hash: the slot's subset is there from adoption": {
			config:  swapConfig,
			status:  swapStepping(0, -time.Minute),
			obs:     swapObserved(swapStepping(0, -time.Minute)),
			want:    toStep(1),
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"a step under weight never copies a template to the canary's slot": {
			config:  swapConfig,
			status:  swapStepping(1, -time.Minute),
			obs:     swapObserved(swapStepping(1, -time.Minute)),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: time.Minute},
		},
		"the canary's slot below the primary's count holds the step": {
			config:  swapConfig,
			status:  swapStepping(0, -time.Minute),
			obs:     with(swapObserved(swapStepping(0, -time.Minute)), func(o *stepper.Observations) { o.CanaryReplicas = 2 }),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, CanaryRevision: "r1", Requeue: time.Minute},
		},
		"the last step passed swaps the roles: slot b is the primary, 100 % of traffic, Succeeded, in one write": {
			config: swapConfig,
			status: last,
			obs:    with(swapObserved(last), func(o *stepper.Observations) { o.Verdicts, o.CanaryReplicas = passing, 4 }),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.PrimarySlot, s.StableRevision, s.Weight = stepper.PhaseSucceeded, config.SlotB, "r1", 0
				s.PrimaryReplicas = 4 // the canary slot's, the primary now
				s.StepStart, s.TrafficLeftAt, s.Verdicts = &now, &now, passing
				moved(s, stepper.ReasonPromoted, now)
			},
			actions: stepper.Actions{Route: true, Requeue: time.Second,
				Events: []stepper.Event{normal(stepper.ReasonPromoted)}},
		},
		"after the swap the former primary's slot drains, then is scaled down": {
			config: swapConfig,
			status: with(ready(), func(s *stepper.Status) {
				s.Phase, s.PrimarySlot, s.Revision, s.StableRevision = stepper.PhaseSucceeded, config.SlotB, "r1", "r1"
				s.TrafficLeftAt, s.PrimaryReplicas = at(-time.Minute), 3
			}),
			obs: with(swapObserved(ready()), func(o *stepper.Observations) {
				o.Revision, o.PrimaryRevision, o.CanaryAvailable = "r1", "r1", true
			}),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown},
		},
		"a new revision waits for the former primary's slot to drain before it gets the template": {
			config:  drainFor30s,
			status:  swappedAgo(10 * time.Second),
			obs:     revisionAfterSwap("r2"),
			actions: stepper.Actions{Route: true, Requeue: 20 * time.Second},
		},
		"with scale-down off a new revision still waits for the warm former primary's slot to drain": {
			config:  func(c *config.Config) { drainFor30s(c); c.ScaleDownCanary = false },
			status:  swappedAgo(10 * time.Second),
			obs:     revisionAfterSwap("r2"),
			actions: stepper.Actions{Route: true, Requeue: 20 * time.Second},
		},
		"with scale-down off the swap records when the traffic left the former primary's slot": {
			config: func(c *config.Config) { drainFor30s(c); c.ScaleDownCanary = false },
			status: last,
			obs:    with(swapObserved(last), func(o *stepper.Observations) { o.Verdicts, o.CanaryReplicas = passing, 4 }),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.PrimarySlot, s.StableRevision, s.Weight = stepper.PhaseSucceeded, config.SlotB, "r1", 0
				s.PrimaryReplicas = 4
				s.StepStart, s.TrafficLeftAt, s.Verdicts = &now, &now, passing
				moved(s, stepper.ReasonPromoted, now)
			},
			actions: stepper.Actions{Route: true, Requeue: 30 * time.Second,
				Events: []stepper.Event{normal(stepper.ReasonPromoted)}},
		},
		"a new revision starts once the former primary's slot has drained": {
			config: drainFor30s,
			status: swappedAgo(30 * time.Second),
			obs:    revisionAfterSwap("r2"),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Revision, s.TrafficLeftAt = stepper.PhaseProgressing, "r2", nil
				s.ReleaseStart, s.StepStart = &now, &now
				moved(s, stepper.ReasonReleaseStarted, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, CanaryRevision: "r2", Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonReleaseStarted)}},
		},
		"a supersede under weight keeps the canary's slot on its template for the scale-down delay": {
			config: drainFor30s,
			status: swapStepping(2, -time.Minute),
			obs:    with(swapObserved(swapStepping(2, -time.Minute)), func(o *stepper.Observations) { o.Revision = "r2" }),
			want: func(s *stepper.Status, now time.Time) {
				s.Revision, s.Step, s.Weight, s.Superseded = "r2", 0, 0, 1
				s.ReleaseStart, s.StepStart, s.TrafficLeftAt = &now, &now, &now
				moved(s, stepper.ReasonSuperseded, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: 30 * time.Second,
				Events: []stepper.Event{normal(stepper.ReasonSuperseded)}},
		},
		"after the delay the canary's slot takes the new revision; the record waits for step 1": {
			config: drainFor30s,
			status: supersededAgo(30 * time.Second),
			obs: with(swapObserved(supersededAgo(30*time.Second)), func(o *stepper.Observations) {
				o.Revision, o.CanaryAvailable = "r2", false
			}),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, CanaryRevision: "r2", Requeue: time.Minute},
		},
		"step 1 after a supersede forgets the record in its own write": {
			config: drainFor30s,
			status: supersededAgo(time.Minute),
			obs:    with(swapObserved(supersededAgo(time.Minute)), func(o *stepper.Observations) { o.Revision = "r2" }),
			want: func(s *stepper.Status, now time.Time) {
				toStep(1)(s, now)
				s.TrafficLeftAt = nil
			},
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"a supersede at step 0, no weight yet, copies the new template at once": {
			config: drainFor30s,
			status: swapStepping(0, -time.Minute),
			obs: with(swapObserved(swapStepping(0, -time.Minute)), func(o *stepper.Observations) {
				o.Revision, o.CanaryAvailable = "r2", false
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Revision, s.Superseded = "r2", 1
				s.ReleaseStart, s.StepStart = &now, &now
				moved(s, stepper.ReasonSuperseded, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, CanaryRevision: "r2", Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonSuperseded)}},
		},
		"a count the user gives their Deployment while idle goes to the primary's slot": {
			config: swapConfig,
			status: with(ready(), func(s *stepper.Status) {
				s.PrimarySlot, s.TrafficLeftAt, s.PrimaryReplicas = config.SlotA, at(-time.Minute), 3
			}),
			obs: with(swapObserved(ready()), func(o *stepper.Observations) { o.UserReplicas = 5 }),
			want: func(s *stepper.Status, now time.Time) {
				s.PrimaryReplicas, s.TrafficLeftAt = 5, nil
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown, ScalePrimary: 5,
				Events: []stepper.Event{normal(stepper.ReasonPrimaryScaled)}},
		},
		"a promote command before the canary's slot is ready waits in Promoting instead of swapping": {
			config: swapConfig,
			status: swapStepping(0, -time.Minute),
			obs: with(swapObserved(swapStepping(0, -time.Minute)), func(o *stepper.Observations) {
				o.CanaryAvailable, o.Command = false, "promote"
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.StepStart, s.CommandAck = stepper.PhasePromoting, &now, "promote"
				moved(s, stepper.ReasonPromoting, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, CanaryRevision: "r1", Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonPromoting)}},
		},
		"Promoting swaps once the canary's slot is ready": {
			config: swapConfig,
			status: with(swapStepping(0, -time.Minute), func(s *stepper.Status) { s.Phase = stepper.PhasePromoting }),
			obs:    with(swapObserved(swapStepping(0, -time.Minute)), func(o *stepper.Observations) { o.CanaryReplicas = 3 }),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.PrimarySlot, s.StableRevision, s.PrimaryReplicas = stepper.PhaseSucceeded, config.SlotB, "r1", 3
				s.StepStart, s.TrafficLeftAt = &now, &now
				moved(s, stepper.ReasonPromoted, now)
			},
			actions: stepper.Actions{Route: true, Requeue: time.Second,
				Events: []stepper.Event{normal(stepper.ReasonPromoted)}},
		},
		"Promoting rolls back a canary's slot that misses its progress deadline: nothing was swapped": {
			config: swapConfig,
			status: with(swapStepping(0, -11*time.Minute), func(s *stepper.Status) { s.Phase = stepper.PhasePromoting }),
			obs: with(swapObserved(swapStepping(0, -11*time.Minute)), func(o *stepper.Observations) {
				o.CanaryAvailable = false
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.StableRevision, s.PrimaryReplicas = stepper.PhaseFailed, "r0", 3
				moved(s, stepper.ReasonProgressDeadlineExceeded, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown,
				Events: []stepper.Event{warning(stepper.ReasonProgressDeadlineExceeded), warning(stepper.ReasonRolledBack)}},
		},
		"a primary's slot running the release's revision is no interrupted promotion": {
			config: swapConfig,
			status: swapStepping(2, -time.Minute),
			obs: with(swapObserved(swapStepping(2, -time.Minute)), func(o *stepper.Observations) {
				o.PrimaryRevision = "r1"
			}),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: time.Minute},
		},
	})
}

func TestSwapReplicas(t *testing.T) {
	cfg := testConfig()
	swapConfig(&cfg)
	three, zero := int32(3), int32(0)
	tests := map[string]struct {
		status       stepper.Status
		act          stepper.Actions
		obs          stepper.Observations
		user, canary *int32
	}{
		"a running canary's slot gets the primary's count; the user's Deployment is left alone": {
			status: swapStepping(1, 0), act: stepper.Actions{Canary: stepper.ScaleUp},
			obs:    stepper.Observations{PrimaryReplicas: &three, UserReplicas: 2},
			canary: &three,
		},
		"an idle canary's slot goes to 0, and so does a count on the user's Deployment": {
			status: with(ready(), func(s *stepper.Status) { s.PrimarySlot = config.SlotA }),
			act:    stepper.Actions{Canary: stepper.ScaleDown},
			obs:    stepper.Observations{PrimaryReplicas: &three, UserReplicas: 2},
			user:   &zero, canary: &zero,
		},
		"an idle user's Deployment at 0 is not written": {
			status: with(ready(), func(s *stepper.Status) { s.PrimarySlot = config.SlotA }),
			act:    stepper.Actions{Canary: stepper.ScaleDown},
			obs:    stepper.Observations{PrimaryReplicas: &three},
			canary: &zero,
		},
		"the user's Deployment keeps its count while adopted": {
			status: initializing(0), obs: stepper.Observations{UserReplicas: 2},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if d := cmp.Diff(tc.user, stepper.UserReplicas(cfg, tc.status, tc.act, tc.obs)); d != "" {
				t.Errorf("UserReplicas (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.canary, stepper.CanaryReplicas(cfg, tc.status, tc.act, tc.obs)); d != "" {
				t.Errorf("CanaryReplicas (-want +got):\n%s", d)
			}
		})
	}
}
