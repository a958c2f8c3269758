package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestNeedsEvaluation(t *testing.T) {
	for name, tc := range map[string]struct {
		status   stepper.Status
		lastEval time.Time
		want     bool
	}{
		"a step never evaluated is evaluated": {
			status: stepping(1, -10*time.Second), want: true,
		},
		"a step is not evaluated again before the check interval": {
			status: stepping(1, -2*time.Minute), lastEval: t0.Add(-30 * time.Second),
		},
		"a step is evaluated once the check interval has passed": {
			status: stepping(1, -2*time.Minute), lastEval: t0.Add(-time.Minute), want: true,
		},
		"the end of a step is evaluated before the check interval has passed": {
			status: stepping(1, -5*time.Minute), lastEval: t0.Add(-20 * time.Second), want: true,
		},
		"the end of a step is evaluated once": {
			status: stepping(1, -5*time.Minute-30*time.Second), lastEval: t0.Add(-20 * time.Second),
		},
		"step 0 is not evaluated": {
			status: stepping(0, -5*time.Minute),
		},
		"a promotion is not evaluated": {
			status: promoting(),
		},
		"a paused step is not evaluated": {
			status: paused(1, -5*time.Minute, -time.Minute),
		},
	} {
		t.Run(name, func(t *testing.T) {
			if got := stepper.NeedsEvaluation(testConfig(), tc.status, t0, tc.lastEval); got != tc.want {
				t.Errorf("NeedsEvaluation = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecisionTime(t *testing.T) {
	for name, tc := range map[string]struct {
		status          stepper.Status
		asked, answered time.Duration // from t0
		want            time.Duration
	}{
		"a step due when its gates were asked is decided when they answered": {
			status: stepping(1, -5*time.Minute), answered: 1500 * time.Millisecond, want: 1500 * time.Millisecond,
		},
		"a step whose bake time ended while its gates were asked is decided when they were asked": {
			status: stepping(1, -5*time.Minute), asked: -time.Second, answered: 500 * time.Millisecond, want: -time.Second,
		},
		"a check during a step is decided when the gates answered": {
			status: stepping(1, -2*time.Minute), answered: 1500 * time.Millisecond, want: 1500 * time.Millisecond,
		},
		"a decision without gates is taken when it is taken": {
			status: stepping(1, -5*time.Minute), asked: time.Millisecond, answered: time.Millisecond, want: time.Millisecond,
		},
		"a promotion is decided when the clock was last read": {
			status: promoting(), answered: time.Second, want: time.Second,
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := stepper.DecisionTime(testConfig(), tc.status, t0.Add(tc.asked), t0.Add(tc.answered))
			if want := t0.Add(tc.want); !got.Equal(want) {
				t.Errorf("DecisionTime = t0%+v, want t0%+v", got.Sub(t0), tc.want)
			}
		})
	}
}
