package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func mirrorConfig(c *config.Config) { c.MirrorDuration = 2 * time.Minute }

// mirroring is the release of r1 mirroring since start.
func mirroring(start time.Duration) stepper.Status {
	return with(stepping(0, start), func(s *stepper.Status) {
		s.Mirroring = true
		s.Reason, s.TransitionTime = stepper.ReasonMirroring, t0.Add(start)
	})
}

func TestMirroring(t *testing.T) {
	runNext(t, map[string]nextCase{
		"an available canary is mirrored to before step 1 when mirroring is configured": {
			config: mirrorConfig,
			status: stepping(0, 0),
			obs:    observed(stepping(0, 0)),
			now:    time.Minute,
			want: func(s *stepper.Status, now time.Time) {
				s.Mirroring, s.StepStart = true, &now
				moved(s, stepper.ReasonMirroring, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonMirroring)}},
		},
		"a failing check while mirroring rolls back at the maximum, ending Failed at once as weight 0 is applied": {
			config: mirrorConfig,
			status: with(mirroring(0), func(s *stepper.Status) { s.FailedChecks = 1 }),
			obs:    with(observed(mirroring(0)), func(o *stepper.Observations) { o.Verdicts = failing }),
			now:    time.Minute,
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.Mirroring, s.FailedChecks, s.Verdicts = stepper.PhaseFailed, false, 2, failing
				moved(s, stepper.ReasonTooManyFailedChecks, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown,
				Events: []stepper.Event{warning(stepper.ReasonCheckFailed), warning(stepper.ReasonTooManyFailedChecks), warning(stepper.ReasonRolledBack)}},
		},
		"a passing canary reaches step 1 exactly after the mirror duration": {
			config: mirrorConfig,
			status: mirroring(0),
			obs:    with(observed(mirroring(0)), func(o *stepper.Observations) { o.Verdicts = passing }),
			now:    2 * time.Minute,
			want: func(s *stepper.Status, now time.Time) {
				s.Mirroring, s.Step, s.Weight, s.StepStart, s.Verdicts = false, 1, 5, &now, passing
				moved(s, stepper.ReasonStepAdvanced, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonStepAdvanced)}},
		},
		"a pass before the mirror duration is over waits": {
			config:  mirrorConfig,
			status:  mirroring(0),
			obs:     with(observed(mirroring(0)), func(o *stepper.Observations) { o.Verdicts = passing }),
			now:     90 * time.Second,
			want:    func(s *stepper.Status, _ time.Time) { s.Verdicts = passing },
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, Requeue: 30 * time.Second},
		},
	})
}

func TestNeedsEvaluationWhileMirroring(t *testing.T) {
	cfg := testConfig()
	mirrorConfig(&cfg)
	if !stepper.NeedsEvaluation(cfg, mirroring(0), t0.Add(time.Minute), time.Time{}) {
		t.Error("gates are not evaluated while mirroring")
	}
	if stepper.NeedsEvaluation(cfg, stepping(0, 0), t0.Add(time.Minute), time.Time{}) {
		t.Error("gates are evaluated while waiting for the canary")
	}
}
