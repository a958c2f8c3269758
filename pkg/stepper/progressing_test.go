package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// running are the actions while a release runs, requeued after d.
func running(d time.Duration, events ...stepper.Event) stepper.Actions {
	return stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: d, Events: events}
}

// rolledBackBy are the actions right after a rollback began for reason.
func rolledBackBy(reason string, events ...stepper.Event) stepper.Actions {
	return stepper.Actions{Route: true, Requeue: time.Minute, Events: append(events, warning(reason))}
}

// toStep expects a move to step with its weight at now.
func toStep(step int) func(s *stepper.Status, now time.Time) {
	return func(s *stepper.Status, now time.Time) {
		s.Step, s.Weight, s.StepStart = step, stepWeights[step], &now
		moved(s, stepper.ReasonStepAdvanced, now)
	}
}

// advancedPassing expects a move to step 2 after a passing check at the end
// of step 1.
func advancedPassing(s *stepper.Status, now time.Time) {
	s.Verdicts = passing
	toStep(2)(s, now)
}

// failedAtDeadline and failedAtDeadlineActions are the decision that fails
// a canary at step 0 without traffic at its progress deadline.
var (
	failedAtDeadline = func(s *stepper.Status, now time.Time) {
		s.Phase = stepper.PhaseFailed
		moved(s, stepper.ReasonProgressDeadlineExceeded, now)
	}
	failedAtDeadlineActions = stepper.Actions{Route: true, Canary: stepper.ScaleDown, Events: []stepper.Event{
		warning(stepper.ReasonProgressDeadlineExceeded), warning(stepper.ReasonRolledBack)}}
)

func TestNextAwaitingCanary(t *testing.T) {
	start := stepping(0, -2*time.Minute)
	runNext(t, map[string]nextCase{
		"the canary's hash is recorded as soon as it is known": {
			status: with(start, func(s *stepper.Status) { s.CanaryHash = "" }),
			obs:    with(observed(start), func(o *stepper.Observations) { o.CanaryAvailable = false }),
			want: func(s *stepper.Status, now time.Time) {
				s.CanaryHash = "h1"
			},
			actions: running(time.Minute),
		},
		"step 0 waits for the canary to become available": {
			status:  start,
			obs:     with(observed(start), func(o *stepper.Observations) { o.CanaryAvailable = false }),
			actions: running(time.Minute),
		},
		"step 0 waits for the canary subset in the destination rule": {
			status:  start,
			obs:     with(observed(start), func(o *stepper.Observations) { o.SubsetsReady = false }),
			actions: running(time.Minute),
		},
		"step 0 gives no weight to a subset seen for less than the lead, and looks again when it is old enough": {
			status:  start,
			obs:     with(observed(start), func(o *stepper.Observations) { o.SubsetAge = 300 * time.Millisecond }),
			actions: running(700 * time.Millisecond), // the 700 ms left
		},
		"step 0 waits for weight 0 to be applied after a supersede": {
			status:  start,
			obs:     with(observed(start), func(o *stepper.Observations) { o.AppliedWeight = 10 }),
			actions: running(time.Minute),
		},
		"step 0 moves to the first weight once the canary and its subset are ready": {
			status:  start,
			obs:     observed(start),
			want:    toStep(1),
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"gate verdicts do not count at step 0": {
			status: start,
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.Verdicts = false, failing
			}),
			actions: running(time.Minute),
		},
		"step 0 rolls back when the canary misses the progress deadline": {
			status: stepping(0, -10*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.AppliedWeight = false, 10
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase = stepper.PhaseRollingBack
				moved(s, stepper.ReasonProgressDeadlineExceeded, now)
			},
			actions: rolledBackBy(stepper.ReasonProgressDeadlineExceeded),
		},
		"a canary that misses the deadline without traffic fails in one decision": {
			status:  stepping(0, -10*time.Minute),
			obs:     with(observed(start), func(o *stepper.Observations) { o.CanaryAvailable = false }),
			want:    failedAtDeadline,
			actions: failedAtDeadlineActions,
		},
		"step 0 does not roll back past the deadline while the Deployment controller has not observed the canary's scale-up": {
			status: stepping(0, -25*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryUnobserved = false, true
			}),
			actions: running(time.Minute),
		},
		"step 0 does not roll back while the canary progressed within the deadline": {
			status: stepping(0, -25*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryProgressAt = false, t0.Add(-9*time.Minute-30*time.Second)
			}),
			actions: running(30 * time.Second), // when the deadline from the last progress comes
		},
		"step 0 rolls back once the canary made no progress for the deadline": {
			status: stepping(0, -30*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryProgressAt = false, t0.Add(-10*time.Minute)
			}),
			want:    failedAtDeadline,
			actions: failedAtDeadlineActions,
		},
		"step 0 rolls back at the bound of 3 deadlines after its start though the Deployment controller never observed the scale-up": {
			status: stepping(0, -30*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryUnobserved = false, true
			}),
			want:    failedAtDeadline,
			actions: failedAtDeadlineActions,
		},
		"step 0 rolls back at the bound of 3 deadlines after its start though the canary keeps reporting progress": {
			status: stepping(0, -30*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryProgressAt = false, t0.Add(-time.Second)
			}),
			want:    failedAtDeadline,
			actions: failedAtDeadlineActions,
		},
		"step 0 rolls back at once when the Deployment controller reports the canary past its own deadline": {
			status: stepping(0, -2*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryTimedOutAt = false, t0.Add(-time.Minute)
			}),
			want:    failedAtDeadline,
			actions: failedAtDeadlineActions,
		},
		"a timeout reported before the Deployment controller observed the latest spec does not count": {
			status: stepping(0, -2*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryTimedOutAt, o.CanaryUnobserved = false, t0.Add(-time.Minute), true
			}),
			actions: running(time.Minute),
		},
		"a timeout the Deployment controller reported before the release began (a retry) does not count": {
			status: stepping(0, -2*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryTimedOutAt = false, t0.Add(-time.Hour)
			}),
			actions: running(time.Minute),
		},
		"progress reported before the release began does not extend its deadline": {
			status: stepping(0, -10*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryProgressAt = false, t0.Add(-time.Hour)
			}),
			want:    failedAtDeadline,
			actions: failedAtDeadlineActions,
		},
		"step 0 requeues at the progress deadline when it comes before the next check": {
			status:  stepping(0, -9*time.Minute-30*time.Second),
			obs:     with(observed(start), func(o *stepper.Observations) { o.CanaryAvailable = false }),
			actions: running(30 * time.Second),
		},
		"a release without steps is promoted once the canary is ready": {
			config: func(c *config.Config) { c.Steps = nil },
			status: start,
			obs:    observed(start),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.StepStart = stepper.PhasePromoting, &now
				moved(s, stepper.ReasonPromoting, now)
			},
			actions: stepper.Actions{Route: true, PrimaryRevision: "r1", Canary: stepper.ScaleUp, Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonPromoting)}},
		},
	})
}

func TestNextBaking(t *testing.T) {
	early, due := stepping(1, -2*time.Minute), stepping(1, -5*time.Minute)
	verdicts := func(s stepper.Status, vs []gates.Verdict) stepper.Observations {
		return with(observed(s), func(o *stepper.Observations) { o.Verdicts = vs })
	}
	holdingSince := func(d time.Duration) func(s *stepper.Status, now time.Time) {
		return func(s *stepper.Status, now time.Time) {
			s.Verdicts, s.HoldSince = passing, at(d)
			moved(s, stepper.ReasonHolding, now)
		}
	}
	held := with(stepping(1, -15*time.Minute), func(s *stepper.Status) {
		s.HoldSince, s.Verdicts, s.Reason = at(-10*time.Minute), holding, stepper.ReasonHolding
	})
	runNext(t, map[string]nextCase{
		"a step waits for its bake time without an evaluation": {
			status:  early,
			obs:     observed(early),
			actions: running(time.Minute),
		},
		"a look 25 ms before the end of the step waits those 25 ms, not a second": {
			status:  stepping(1, -5*time.Minute+25*time.Millisecond),
			obs:     observed(stepping(1, 0)),
			actions: running(25 * time.Millisecond),
		},
		"a passing check before the end of the step records the verdicts and waits": {
			status:  early,
			obs:     verdicts(early, passing),
			want:    func(s *stepper.Status, now time.Time) { s.Verdicts = passing },
			actions: running(time.Minute),
		},
		"a restarted controller resumes mid-step with the remaining bake time": {
			status:  stepping(2, -4*time.Minute-30*time.Second),
			obs:     observed(stepping(2, 0)),
			actions: running(30 * time.Second),
		},
		"a failed check counts and warns": {
			status: early,
			obs:    verdicts(early, failing),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts, s.FailedChecks = failing, 1
				moved(s, stepper.ReasonCheckFailed, now)
			},
			actions: running(time.Minute, warning(stepper.ReasonCheckFailed)),
		},
		"the last allowed failed check rolls back in one write": {
			status: with(early, func(s *stepper.Status) { s.FailedChecks = 1 }),
			obs:    verdicts(early, failing),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Weight, s.Verdicts, s.FailedChecks = stepper.PhaseRollingBack, 0, failing, 2
				moved(s, stepper.ReasonTooManyFailedChecks, now)
			},
			actions: rolledBackBy(stepper.ReasonTooManyFailedChecks, warning(stepper.ReasonCheckFailed)),
		},
		"a failed check at the end of a step neither advances nor holds": {
			status: due,
			obs:    verdicts(due, failing),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts, s.FailedChecks = failing, 1
				moved(s, stepper.ReasonCheckFailed, now)
			},
			actions: running(time.Minute, warning(stepper.ReasonCheckFailed)),
		},
		"a passing check at the end of the step advances to the next weight": {
			status:  due,
			obs:     verdicts(due, passing),
			want:    advancedPassing,
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"a restarted controller that has just seen the canary subset advances a step whose routes already use it": {
			status:  due,
			obs:     with(verdicts(due, passing), func(o *stepper.Observations) { o.SubsetAge = 0 }),
			want:    advancedPassing,
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"a step without gates advances by time alone": {
			status:  due,
			obs:     verdicts(due, []gates.Verdict{}),
			want:    toStep(2),
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"the end of a step waits for an evaluation": {
			status:  due,
			obs:     observed(due),
			actions: running(time.Minute),
		},
		"a passing check does not advance before the step's weight is applied": {
			status:  due,
			obs:     with(verdicts(due, passing), func(o *stepper.Observations) { o.AppliedWeight = 0 }),
			want:    holdingSince(0),
			actions: running(time.Minute, normal(stepper.ReasonHolding)),
		},
		"a passing check does not advance while the canary is unavailable": {
			status:  due,
			obs:     with(verdicts(due, passing), func(o *stepper.Observations) { o.CanaryAvailable = false }),
			want:    holdingSince(0),
			actions: running(time.Minute, normal(stepper.ReasonHolding)),
		},
		"a holding check past the bake time starts the hold clock": {
			status: due,
			obs:    verdicts(due, holding),
			want: func(s *stepper.Status, now time.Time) {
				holdingSince(0)(s, now)
				s.Verdicts = holding
			},
			actions: running(time.Minute, normal(stepper.ReasonHolding)),
		},
		"a hold keeps its start on later checks": {
			status:  held,
			obs:     verdicts(held, holding),
			actions: running(time.Minute),
		},
		"a hold past the maximum hold time rolls back": {
			status: with(held, func(s *stepper.Status) { s.HoldSince = at(-30 * time.Minute) }),
			obs:    observed(held),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Weight, s.HoldSince = stepper.PhaseRollingBack, 0, nil
				moved(s, stepper.ReasonHoldTimeout, now)
			},
			actions: rolledBackBy(stepper.ReasonHoldTimeout),
		},
		"requeue lands on the hold deadline when it comes before the next check": {
			status:  with(held, func(s *stepper.Status) { s.HoldSince = at(-29*time.Minute - 30*time.Second) }),
			obs:     observed(held),
			actions: running(30 * time.Second),
		},
		"a pass after a hold advances and clears the hold clock": {
			status: held,
			obs:    verdicts(held, passing),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts, s.HoldSince = passing, nil
				toStep(2)(s, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"a passing check at the end of the last step starts the promotion": {
			status: stepping(3, -5*time.Minute),
			obs:    verdicts(stepping(3, 0), passing),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Verdicts, s.StepStart = stepper.PhasePromoting, passing, &now
				moved(s, stepper.ReasonPromoting, now)
			},
			actions: stepper.Actions{Route: true, PrimaryRevision: "r1", Canary: stepper.ScaleUp, Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonPromoting)}},
		},
		"an edit of the steps takes effect at the next advance": {
			config: func(c *config.Config) { c.Steps, c.Total = []int32{1, 2, 5, 10}, 100 },
			status: due,
			obs:    verdicts(due, []gates.Verdict{}),
			want: func(s *stepper.Status, now time.Time) {
				s.Step, s.Steps, s.Weight, s.Total, s.StepStart = 2, 4, 2, 100, &now
				moved(s, stepper.ReasonStepAdvanced, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"requeue is at least a second when the check interval is zero": {
			config:  func(c *config.Config) { c.CheckInterval = 0 },
			status:  early,
			obs:     observed(early),
			actions: running(time.Second),
		},
	})
}
