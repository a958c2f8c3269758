package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestCanaryEndpoints: the canary gets its first weight, or mirrored
// traffic, or the primary's place by a swap at step 0, only once its
// desired replicas are ready endpoints of the Service (make before break
// for the endpoints istiod pushes); a route that already gives it weight
// does not wait for them again.
func TestCanaryEndpoints(t *testing.T) {
	start := stepping(0, -2*time.Minute)
	short := func(s stepper.Status, endpoints int32) stepper.Observations {
		return with(observed(s), func(o *stepper.Observations) { o.UserReplicas, o.CanaryEndpoints = 3, endpoints })
	}
	due := stepping(1, -5*time.Minute)
	swapStart := swapStepping(0, -time.Minute)
	runNext(t, map[string]nextCase{
		"step 0 gives no weight to an available canary whose pods are not all ready endpoints yet": {
			status:  start,
			obs:     short(start, 2),
			actions: running(time.Minute),
		},
		"step 0 moves to the first weight once all the canary's desired replicas are ready endpoints": {
			status:  start,
			obs:     short(start, 3),
			want:    toStep(1),
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"more ready endpoints than desired replicas (a scale-down under way) do not wait": {
			status:  start,
			obs:     short(start, 5),
			want:    toStep(1),
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"a canary whose endpoints never appear misses its progress deadline without traffic": {
			status:  stepping(0, -10*time.Minute),
			obs:     short(start, 0),
			want:    failedAtDeadline,
			actions: failedAtDeadlineActions,
		},
		"a step whose route gives the canary weight advances on endpoint churn": {
			status: due,
			obs: with(short(due, 1), func(o *stepper.Observations) {
				o.Verdicts = passing
			}),
			want:    advancedPassing,
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"mirroring does not start before the canary's pods are ready endpoints": {
			config:  mirrorConfig,
			status:  stepping(0, 0),
			obs:     short(stepping(0, 0), 0),
			now:     time.Minute,
			actions: running(time.Minute),
		},
		"by role swap, step 0 waits for the canary slot's replicas as endpoints": {
			config: swapConfig,
			status: swapStart,
			obs: with(swapObserved(swapStart), func(o *stepper.Observations) {
				o.CanaryEndpoints = 2
			}),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, CanaryRevision: "r1", Requeue: time.Minute},
		},
		"by role swap, a promotion at step 0 does not swap before the slot's pods are endpoints": {
			config: swapConfig,
			status: with(swapStart, func(s *stepper.Status) { s.Phase = stepper.PhasePromoting }),
			obs: with(swapObserved(swapStart), func(o *stepper.Observations) {
				o.CanaryEndpoints = 0
			}),
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, CanaryRevision: "r1", Requeue: time.Minute},
		},
	})
}
