package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestNextKeepsTheCanaryForTheScaleDownDelay checks that the canary keeps
// its pods for the scale-down delay after the traffic left it at the end
// of a release, is looked at again when the delay is over, and only then
// is scaled down.
func TestNextKeepsTheCanaryForTheScaleDownDelay(t *testing.T) {
	delay := func(c *config.Config) { c.ScaleDownDelay = 30 * time.Second }
	promoted := with(promoting(), func(s *stepper.Status) {
		s.StableRevision, s.Weight, s.Reason = "r1", 0, stepper.ReasonPrimaryUpdated
	})
	// draining is a canary idle in phase since the traffic left it ago.
	draining := func(s stepper.Status, ago time.Duration) stepper.Status {
		return with(s, func(s *stepper.Status) { s.TrafficLeftAt = at(-ago) })
	}
	// remembered is s as its own decision wrote it: the primary's count
	// kept, the user's Deployment at generation 7 when the traffic left.
	remembered := func(s stepper.Status) stepper.Status {
		return with(s, func(s *stepper.Status) { s.PrimaryReplicas, s.TrafficLeftGeneration = 3, 7 })
	}
	failedWith := func(replicas int32) stepper.Observations {
		return with(observed(failed()), func(o *stepper.Observations) { o.UserReplicas, o.PrimaryReplicas = replicas, ptr32(3) })
	}
	runNext(t, map[string]nextCase{
		"a rollback that ends keeps the canary and looks again when the delay is over": {
			config: delay, status: rollingBack(), obs: observed(rollingBack()),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.TransitionTime, s.TrafficLeftAt = stepper.PhaseFailed, now, &now
			},
			actions: stepper.Actions{Route: true, Requeue: 30 * time.Second,
				Events: []stepper.Event{warning(stepper.ReasonRolledBack)}},
		},
		"a promotion that ends keeps the canary and looks again when the delay is over": {
			config: delay, status: promoted, obs: observed(promoted),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.StableRevision, s.Weight, s.TrafficLeftAt = stepper.PhaseSucceeded, "r1", 0, &now
				moved(s, stepper.ReasonPromoted, now)
			},
			actions: stepper.Actions{Route: true, Requeue: 30 * time.Second,
				Events: []stepper.Event{normal(stepper.ReasonPromoted)}},
		},
		"during the delay the canary's replicas are not a scale by the user": {
			config: delay, status: draining(failed(), 10*time.Second), obs: failedWith(2),
			want:    func(s *stepper.Status, _ time.Time) { s.PrimaryReplicas = 3 },
			actions: stepper.Actions{Route: true, Requeue: 20 * time.Second},
		},
		"a look 100 ms before the end of the delay waits those 100 ms, not a second": {
			config: delay, status: draining(failed(), 29900*time.Millisecond), obs: failedWith(2),
			want:    func(s *stepper.Status, _ time.Time) { s.PrimaryReplicas = 3 },
			actions: stepper.Actions{Route: true, Requeue: 100 * time.Millisecond},
		},
		"once the delay is over the canary is scaled down and the status keeps the record: no status write": {
			config: delay, status: remembered(draining(failed(), 30*time.Second)), obs: failedWith(2),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown},
		},
		"a shorter delay set meanwhile counts from when the traffic left": {
			config:  func(c *config.Config) { c.ScaleDownDelay = 5 * time.Second },
			status:  remembered(draining(failed(), 10*time.Second)),
			obs:     failedWith(2),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown},
		},
		"after the delay a count on a Deployment nobody wrote since the traffic left is the canary's": {
			config: delay, status: remembered(draining(failed(), time.Hour)),
			obs:     with(failedWith(2), func(o *stepper.Observations) { o.UserGeneration = 7 }),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown},
		},
		"after the delay a count meshcanary set last is the canary's, though the Deployment was written since": {
			config: delay, status: remembered(draining(failed(), time.Hour)),
			obs:     with(failedWith(2), func(o *stepper.Observations) { o.UserGeneration = 8 }),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown},
		},
		"a count someone else set after the scale-down is the user's: moved to the primary, the record dropped with that status": {
			config: delay, status: remembered(draining(failed(), time.Hour)),
			obs: with(failedWith(5), func(o *stepper.Observations) { o.UserGeneration, o.ReplicasByOthers = 9, true }),
			want: func(s *stepper.Status, _ time.Time) {
				s.TrafficLeftAt, s.TrafficLeftGeneration, s.PrimaryReplicas = nil, 0, 5
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown, ScalePrimary: 5,
				Events: []stepper.Event{normal(stepper.ReasonPrimaryScaled)}},
		},
		"a scale during the delay is the canary's, whoever made it": {
			config: delay, status: remembered(draining(failed(), 10*time.Second)),
			obs:     with(failedWith(5), func(o *stepper.Observations) { o.UserGeneration, o.ReplicasByOthers = 9, true }),
			actions: stepper.Actions{Route: true, Requeue: 20 * time.Second},
		},
		"the end of a release waits for the route without the canary's weight before the scale-down": {
			status:  remembered(draining(failed(), 0)),
			obs:     with(failedWith(2), func(o *stepper.Observations) { o.AppliedWeight = 50 }),
			actions: stepper.Actions{Route: true, Requeue: time.Second},
		},
		"a new revision during the delay starts its release and ends the drain": {
			config: delay, status: draining(failed(), 10*time.Second),
			obs: with(failedWith(2), func(o *stepper.Observations) {
				o.Revision, o.CanaryHash, o.CanaryAvailable = "r2", "h2", false
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Revision, s.CanaryHash, s.Step, s.TrafficLeftAt = stepper.PhaseProgressing, "r2", "h2", 0, nil
				s.ReleaseStart, s.StepStart, s.FailedChecks, s.Verdicts = &now, &now, 0, nil
				moved(s, stepper.ReasonReleaseStarted, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonReleaseStarted)),
		},
		"without scale-down the end of a release keeps nothing to drain": {
			config: func(c *config.Config) { delay(c); c.ScaleDownCanary = false },
			status: rollingBack(), obs: observed(rollingBack()),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.TransitionTime = stepper.PhaseFailed, now
			},
			actions: stepper.Actions{Route: true, Events: []stepper.Event{warning(stepper.ReasonRolledBack)}},
		},
	})
}

func ptr32(n int32) *int32 { return &n }

func TestReplicasOwnerIsNeededOnlyWhenTheCountIsAmbiguous(t *testing.T) {
	cfg := testConfig()
	cfg.ScaleDownDelay = 30 * time.Second
	ended := with(failed(), func(s *stepper.Status) { s.TrafficLeftAt, s.TrafficLeftGeneration = at(-time.Minute), 7 })
	obs := func(replicas int32, generation int64) stepper.Observations {
		return with(observed(failed()), func(o *stepper.Observations) { o.UserReplicas, o.UserGeneration = replicas, generation })
	}
	cases := map[string]struct {
		status stepper.Status
		obs    stepper.Observations
		want   bool
	}{
		"a count on a Deployment written since the traffic left, after the delay": {ended, obs(2, 9), true},
		"the usual end of the delay: nobody wrote the Deployment since":           {ended, obs(2, 7), false},
		"a Deployment at 0 replicas":                                              {ended, obs(0, 9), false},
		"during the delay": {
			with(ended, func(s *stepper.Status) { s.TrafficLeftAt = at(-time.Second) }), obs(2, 9), false},
		"no release ended":  {failed(), obs(2, 9), false},
		"a release running": {with(ended, func(s *stepper.Status) { s.Phase = stepper.PhaseProgressing }), obs(2, 9), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := stepper.ReplicasOwnerNeeded(cfg, tc.status, tc.obs, t0); got != tc.want {
				t.Errorf("ReplicasOwnerNeeded = %v, want %v", got, tc.want)
			}
		})
	}
}
