package stepper_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// t0 is the fixed base time of every test; no test reads the clock.
var t0 = time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)

// at returns a new pointer to t0 + d.
func at(d time.Duration) *time.Time {
	t := t0.Add(d)
	return &t
}

// with returns v changed by change.
func with[T any](v T, change func(*T)) T {
	change(&v)
	return v
}

// testConfig releases in steps of 0.5 %, 1 % and 5 % (out of 1000), five
// minutes each, checked every minute.
func testConfig() config.Config {
	return config.Config{
		Steps:            []int32{5, 10, 50},
		Total:            1000,
		StepInterval:     5 * time.Minute,
		CheckInterval:    time.Minute,
		MaxFailedChecks:  2,
		ProgressDeadline: 10 * time.Minute,
		ScaleDownCanary:  true,
		PrimaryName:      "web-primary",
		MaxHold:          30 * time.Minute,
	}
}

// stepWeights are the weights of testConfig by step (step 0 has none).
var stepWeights = []int32{0, 5, 10, 50}

// initializing is an adoption of revision r0 that began at start.
func initializing(start time.Duration) stepper.Status {
	return stepper.Status{
		Phase: stepper.PhaseInitializing, Revision: "r0", StableRevision: "r0", Steps: 3, Total: 1000,
		StepStart: at(start), Reason: stepper.ReasonInitializing, TransitionTime: t0.Add(start),
	}
}

// ready is an adopted canary whose primary serves revision r0.
func ready() stepper.Status {
	return stepper.Status{
		Phase: stepper.PhaseReady, Revision: "r0", StableRevision: "r0", Steps: 3, Total: 1000,
		StepStart: at(-time.Hour), Reason: stepper.ReasonReady, TransitionTime: t0.Add(-time.Hour),
	}
}

// stepping is a release of revision r1 (canary hash h1, stable r0) at step,
// which began at start.
func stepping(step int, start time.Duration) stepper.Status {
	return stepper.Status{
		Phase: stepper.PhaseProgressing, Revision: "r1", StableRevision: "r0", CanaryHash: "h1",
		Step: step, Steps: 3, Weight: stepWeights[step], Total: 1000,
		ReleaseStart: at(-time.Hour), StepStart: at(start),
		Reason: stepper.ReasonStepAdvanced, TransitionTime: t0.Add(start),
	}
}

// paused is stepping(step, start) paused at pausedAt.
func paused(step int, start, pausedAt time.Duration) stepper.Status {
	return with(stepping(step, start), func(s *stepper.Status) {
		s.Phase, s.PausedFrom, s.PausedAt = stepper.PhasePaused, stepper.PhaseProgressing, at(pausedAt)
		s.Reason, s.TransitionTime = stepper.ReasonPaused, t0.Add(pausedAt)
	})
}

// promoting is the promotion of r1 after the last step, begun a minute ago.
func promoting() stepper.Status {
	return with(stepping(3, -time.Minute), func(s *stepper.Status) {
		s.Phase, s.Reason = stepper.PhasePromoting, stepper.ReasonPromoting
	})
}

// rollingBack is a rollback of r1 from step 2 after two failed checks.
func rollingBack() stepper.Status {
	return with(stepping(2, -3*time.Minute), func(s *stepper.Status) {
		s.Phase, s.Weight, s.FailedChecks, s.Verdicts = stepper.PhaseRollingBack, 0, 2, failing
		s.Reason, s.Message = stepper.ReasonTooManyFailedChecks, "2 failed checks (maximum 2) at step 2/3"
		s.TransitionTime = t0.Add(-10 * time.Second)
	})
}

// failed is the release of r1 that failed.
func failed() stepper.Status {
	return with(rollingBack(), func(s *stepper.Status) { s.Phase = stepper.PhaseFailed })
}

// observed is a world in which everything s asks for is true: the user's
// template is s.Revision with its canary available, the primary serves the
// stable revision, the subsets are ready, the canary's pods are ready
// endpoints of the Service (as many as the largest replica count the tests
// give a canary) and the route holds s.Weight.
func observed(s stepper.Status) stepper.Observations {
	return stepper.Observations{
		Revision: s.Revision, CanaryHash: s.CanaryHash, CanaryAvailable: true, CanaryEndpoints: 3,
		PrimaryExists: true, PrimaryRevision: s.StableRevision, PrimaryAvailable: true,
		SubsetsReady: true, SubsetAge: time.Hour, Routed: true, AppliedWeight: s.Weight,
	}
}

func float(f float64) *float64 { return &f }

// Gate verdicts used by the tests.
var (
	passing = []gates.Verdict{{Gate: "error-rate", Result: gates.Pass, Value: float(0.001), Threshold: float(0.01)}}
	holding = []gates.Verdict{{Gate: "latency-p99", Result: gates.Hold, Reason: "too few requests"}}
	failing = []gates.Verdict{{Gate: "error-rate", Result: gates.Fail, Value: float(0.052), Threshold: float(0.01),
		Reason: "5xx share above limit"}}
)

// normal and warning are expected events; messages are checked by
// TestNextMessages and the golden transcripts.
func normal(reason string) stepper.Event  { return stepper.Event{Reason: reason} }
func warning(reason string) stepper.Event { return stepper.Event{Warning: true, Reason: reason} }

// nextCase is one decision of Next. want changes a copy of status into the
// expected status (nil: no change); it gets the decision time.
type nextCase struct {
	config  func(*config.Config)
	status  stepper.Status
	obs     stepper.Observations
	now     time.Duration
	want    func(s *stepper.Status, now time.Time)
	actions stepper.Actions
}

var ignoreMessages = cmp.Options{
	cmpopts.IgnoreFields(stepper.Status{}, "Message"),
	cmpopts.IgnoreFields(stepper.Event{}, "Message"),
}

// runNext runs each case and compares the whole status and actions. It also
// checks that Next leaves its input status unchanged.
func runNext(t *testing.T, cases map[string]nextCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			if tc.config != nil {
				tc.config(&cfg)
			}
			now := t0.Add(tc.now)
			want := tc.status
			if tc.want != nil {
				tc.want(&want, now)
			}
			input := mustJSON(t, tc.status)
			got, actions := stepper.Next(cfg, tc.status, tc.obs, now)
			if d := cmp.Diff(want, got, ignoreMessages); d != "" {
				t.Errorf("status (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.actions, actions, ignoreMessages, cmpopts.EquateEmpty()); d != "" {
				t.Errorf("actions (-want +got):\n%s", d)
			}
			if after := mustJSON(t, tc.status); after != input {
				t.Errorf("Next changed its input status:\nbefore %s\nafter  %s", input, after)
			}
		})
	}
}

// moved records a transition with reason at now, as Next does.
func moved(s *stepper.Status, reason string, now time.Time) {
	s.Reason, s.TransitionTime = reason, now
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}
