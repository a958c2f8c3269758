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
		"the requeue is never shorter than a second": {
			config: delay, status: draining(failed(), 29900*time.Millisecond), obs: failedWith(2),
			want:    func(s *stepper.Status, _ time.Time) { s.PrimaryReplicas = 3 },
			actions: stepper.Actions{Route: true, Requeue: time.Second},
		},
		"once the delay is over the canary is scaled down with the status that ends the drain": {
			config: delay, status: draining(failed(), 30*time.Second), obs: failedWith(2),
			want:    func(s *stepper.Status, _ time.Time) { s.TrafficLeftAt, s.PrimaryReplicas = nil, 3 },
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown},
		},
		"a shorter delay set meanwhile counts from when the traffic left": {
			config:  func(c *config.Config) { c.ScaleDownDelay = 5 * time.Second },
			status:  draining(failed(), 10*time.Second),
			obs:     failedWith(2),
			want:    func(s *stepper.Status, _ time.Time) { s.TrafficLeftAt, s.PrimaryReplicas = nil, 3 },
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown},
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
