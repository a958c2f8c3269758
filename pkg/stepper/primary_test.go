package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func replicas(n int32) *int32 { return &n }

// whole is primaryReady with the primary's replica count known.
func whole(revision string, n int32) stepper.Observations {
	return with(primaryReady(revision, ""), func(o *stepper.Observations) { o.PrimaryReplicas = replicas(n) })
}

func TestNextRepairsAMissingPrimaryWhileIdle(t *testing.T) {
	tracked := with(ready(), func(s *stepper.Status) { s.PrimaryReplicas = 4 })
	deleted := with(primaryReady("r0", ""), func(o *stepper.Observations) {
		o.PrimaryExists, o.PrimaryRevision, o.PrimaryAvailable = false, "", false
	})
	missing := func(s *stepper.Status, now time.Time) { moved(s, stepper.ReasonPrimaryMissing, now) }
	repairing := func(replicas int32) stepper.Actions {
		return stepper.Actions{Route: true, Canary: stepper.ScaleDown,
			RepairPrimary: &stepper.PrimaryRepair{Revision: "r0", Replicas: replicas},
			Events:        []stepper.Event{warning(stepper.ReasonPrimaryMissing)}}
	}
	runNext(t, map[string]nextCase{
		"a deleted primary is recreated from the stable revision at the count it had, with a Warning": {
			status:  tracked,
			obs:     deleted,
			want:    missing,
			actions: repairing(4),
		},
		"a primary scaled to 0 gets the count it had back": {
			status:  tracked,
			obs:     with(primaryReady("r0", ""), func(o *stepper.Observations) { o.PrimaryReplicas, o.PrimaryAvailable = replicas(0), false }),
			want:    missing,
			actions: repairing(4),
		},
		"the repair count stays within the bounds of the user's HPA": {
			status:  tracked,
			obs:     with(deleted, func(o *stepper.Observations) { o.HPA = &stepper.ReplicaBounds{Min: 6, Max: 10} }),
			want:    missing,
			actions: repairing(6),
		},
		"a primary never counted is recreated with 1 replica": {
			status:  ready(),
			obs:     deleted,
			want:    missing,
			actions: repairing(1),
		},
		"a failed release's primary is recreated at the stable revision, not the rejected one": {
			status: with(failed(), func(s *stepper.Status) { s.PrimaryReplicas = 3 }),
			obs:    with(deleted, func(o *stepper.Observations) { o.Revision = "r1" }),
			want:   missing,
			actions: with(repairing(3), func(a *stepper.Actions) {
				a.RepairPrimary.Revision = "r0"
			}),
		},
		"the Warning is not repeated while the repair goes on": {
			status:  with(tracked, func(s *stepper.Status) { s.Reason = stepper.ReasonPrimaryMissing }),
			obs:     deleted,
			actions: with(repairing(4), func(a *stepper.Actions) { a.Events = nil }),
		},
		"no release starts while the primary is missing": {
			status:  tracked,
			obs:     with(deleted, func(o *stepper.Observations) { o.Revision, o.CanaryHash = "r1", "h1" }),
			want:    missing,
			actions: repairing(4),
		},
		"the repaired primary's return is recorded": {
			status: with(tracked, func(s *stepper.Status) { s.Reason = stepper.ReasonPrimaryMissing }),
			obs:    whole("r0", 4),
			want:   func(s *stepper.Status, now time.Time) { moved(s, stepper.ReasonPrimaryRestored, now) },
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown,
				Events: []stepper.Event{normal(stepper.ReasonPrimaryRestored)}},
		},
		"a release starts once the primary is back": {
			status: with(tracked, func(s *stepper.Status) { s.Reason = stepper.ReasonPrimaryRestored }),
			obs:    with(whole("r1", 4), func(o *stepper.Observations) { o.CanaryHash = "h1" }),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Revision, s.CanaryHash = stepper.PhaseProgressing, "r1", "h1"
				s.ReleaseStart, s.StepStart = &now, &now
				moved(s, stepper.ReasonReleaseStarted, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonReleaseStarted)}},
		},
		"a primary missing during a release is not repaired by the idle rule": {
			status:  stepping(2, -time.Minute),
			obs:     with(observed(stepping(2, -time.Minute)), func(o *stepper.Observations) { o.PrimaryExists, o.PrimaryRevision = false, "" }),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: time.Minute},
		},
	})
}

func TestNextMovesTheUsersScaleToThePrimaryWhileIdle(t *testing.T) {
	tracked := with(ready(), func(s *stepper.Status) { s.PrimaryReplicas = 2 })
	idle := stepper.Actions{Route: true, Canary: stepper.ScaleDown}
	runNext(t, map[string]nextCase{
		"kubectl scale on the user's Deployment while idle goes to the primary": {
			status: tracked,
			obs:    with(whole("r0", 2), func(o *stepper.Observations) { o.UserReplicas = 5 }),
			want:   func(s *stepper.Status, _ time.Time) { s.PrimaryReplicas = 5 },
			actions: with(idle, func(a *stepper.Actions) {
				a.ScalePrimary = 5
				a.Events = []stepper.Event{normal(stepper.ReasonPrimaryScaled)}
			}),
		},
		"a move already applied to the primary only scales the user's Deployment back": {
			status: tracked,
			obs:    with(whole("r0", 5), func(o *stepper.Observations) { o.UserReplicas = 5 }),
			want:   func(s *stepper.Status, _ time.Time) { s.PrimaryReplicas = 5 },
			actions: with(idle, func(a *stepper.Actions) {
				a.Events = []stepper.Event{normal(stepper.ReasonPrimaryScaled)}
			}),
		},
		"with an HPA the twin scales the primary, so the scale is reported and not moved": {
			status: tracked,
			obs: with(whole("r0", 2), func(o *stepper.Observations) {
				o.UserReplicas, o.HPA = 5, &stepper.ReplicaBounds{Min: 1, Max: 10}
			}),
			actions: with(idle, func(a *stepper.Actions) {
				a.Events = []stepper.Event{warning(stepper.ReasonScaleIgnored)}
			}),
		},
		"with scale-down off the user's Deployment keeps its own count": {
			config:  func(c *config.Config) { c.ScaleDownCanary = false },
			status:  tracked,
			obs:     with(whole("r0", 2), func(o *stepper.Observations) { o.UserReplicas = 5 }),
			actions: stepper.Actions{Route: true},
		},
		"the user's replicas at the end of adoption are not a scale; the primary's count is remembered": {
			status: initializing(-2 * time.Minute),
			obs:    with(whole("r0", 3), func(o *stepper.Observations) { o.UserReplicas = 3 }),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.PrimaryReplicas = stepper.PhaseReady, 3
				moved(s, stepper.ReasonReady, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown, Events: []stepper.Event{normal(stepper.ReasonReady)}},
		},
		"the primary's own count is remembered for a repair": {
			status:  tracked,
			obs:     whole("r0", 7),
			want:    func(s *stepper.Status, _ time.Time) { s.PrimaryReplicas = 7 },
			actions: idle,
		},
		"the primary's count is remembered at the end of a release": {
			status: with(promoting(), func(s *stepper.Status) { s.StableRevision, s.Weight = "r1", 0 }),
			obs:    with(observed(with(promoting(), func(s *stepper.Status) { s.StableRevision, s.Weight = "r1", 0 })), func(o *stepper.Observations) { o.PrimaryReplicas = replicas(6) }),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.PrimaryReplicas = stepper.PhaseSucceeded, 6
				moved(s, stepper.ReasonPromoted, now)
			},
			actions: with(idle, func(a *stepper.Actions) { a.Events = []stepper.Event{normal(stepper.ReasonPromoted)} }),
		},
		"the primary's count is not remembered while an HPA twin moves it": {
			status:  tracked,
			obs:     with(whole("r0", 7), func(o *stepper.Observations) { o.HPA = &stepper.ReplicaBounds{Min: 1, Max: 10} }),
			actions: idle,
		},
	})
}

func TestCanaryReplicas(t *testing.T) {
	hpa := &stepper.ReplicaBounds{Min: 3, Max: 8}
	cases := map[string]struct {
		config func(*config.Config)
		status stepper.Status
		act    stepper.Scale
		obs    stepper.Observations
		want   *int32
		// noHash leaves the status without the canary's hash (h1 otherwise).
		noHash bool
	}{
		"a canary whose pod-template-hash is not known yet starts at once (the subset's lead holds its first weight)": {
			act: stepper.ScaleUp, obs: stepper.Observations{PrimaryReplicas: replicas(4)}, noHash: true, want: replicas(4),
		},
		"a canary starts at the primary's count": {
			act: stepper.ScaleUp, obs: stepper.Observations{PrimaryReplicas: replicas(4)}, want: replicas(4),
		},
		"a configured canary count wins over the primary's": {
			config: func(c *config.Config) { c.CanaryReplicas = replicas(1) },
			act:    stepper.ScaleUp, obs: stepper.Observations{PrimaryReplicas: replicas(4)}, want: replicas(1),
		},
		"without a primary the persisted count is used": {
			status: stepper.Status{PrimaryReplicas: 5}, act: stepper.ScaleUp, want: replicas(5),
		},
		"nothing known leaves the replicas alone": {
			act: stepper.ScaleUp,
		},
		"the user's HPA keeps a running canary's count": {
			act: stepper.ScaleUp, obs: stepper.Observations{PrimaryReplicas: replicas(4), UserReplicas: 7, HPA: hpa},
		},
		"an idle canary under an HPA starts within the HPA's bounds": {
			act: stepper.ScaleUp, obs: stepper.Observations{PrimaryReplicas: replicas(2), HPA: hpa}, want: replicas(3),
		},
		"an HPA's maximum caps the start count": {
			act: stepper.ScaleUp, obs: stepper.Observations{PrimaryReplicas: replicas(12), HPA: hpa}, want: replicas(8),
		},
		"an idle canary goes to 0, HPA or not": {
			act: stepper.ScaleDown, obs: stepper.Observations{UserReplicas: 7, HPA: hpa}, want: replicas(0),
		},
		"scale-down off leaves an idle canary alone": {
			config: func(c *config.Config) { c.ScaleDownCanary = false },
			act:    stepper.ScaleDown, obs: stepper.Observations{UserReplicas: 7},
		},
		"keep leaves the replicas alone": {
			act: stepper.ScaleKeep, obs: stepper.Observations{PrimaryReplicas: replicas(4)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			if tc.config != nil {
				tc.config(&cfg)
			}
			st := tc.status
			if !tc.noHash {
				st.CanaryHash = "h1"
			}
			got := stepper.CanaryReplicas(cfg, st, stepper.Actions{Canary: tc.act}, tc.obs)
			switch {
			case got == nil && tc.want == nil:
			case got == nil || tc.want == nil || *got != *tc.want:
				t.Errorf("CanaryReplicas = %v, want %v", deref(got), deref(tc.want))
			}
		})
	}
}

func deref(p *int32) any {
	if p == nil {
		return "nil (leave alone)"
	}
	return *p
}
