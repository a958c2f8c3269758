package stepper_test

import (
	"strings"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestNextMessages checks what the messages say; the table tests ignore
// messages and the golden transcripts show them whole.
func TestNextMessages(t *testing.T) {
	due := stepping(1, -5*time.Minute)
	for name, tc := range map[string]struct {
		config func(*config.Config)
		status stepper.Status
		obs    stepper.Observations
		want   []string
	}{
		"a step of half a percent is announced as 0.5%": {
			status: stepping(0, 0), obs: observed(stepping(0, 0)),
			want: []string{"step 1/3: canary weight 0.5%"},
		},
		"a step of a hundredth of a percent is announced as 0.01%": {
			config: func(c *config.Config) { c.Steps, c.Total = []int32{1}, 10000 },
			status: stepping(0, 0), obs: observed(stepping(0, 0)),
			want: []string{"step 1/1: canary weight 0.01%"},
		},
		"a step of all traffic is announced as 100%": {
			config: func(c *config.Config) { c.Steps, c.Total = []int32{100}, 100 },
			status: stepping(0, 0), obs: observed(stepping(0, 0)),
			want: []string{"step 1/1: canary weight 100%"},
		},
		"a rollback for failed checks names the gate, its value and its threshold": {
			status: with(due, func(s *stepper.Status) { s.FailedChecks = 1 }),
			obs:    with(observed(due), func(o *stepper.Observations) { o.Verdicts = failing }),
			want: []string{"2 failed checks (maximum 2) at step 1/3",
				"error-rate value 0.052 threshold 0.01: 5xx share above limit"},
		},
		"a lagging VirtualService is named with the weight it misses": {
			status: stepping(2, -time.Minute),
			obs: with(observed(stepping(2, 0)), func(o *stepper.Observations) {
				o.Routed, o.AppliedWeight, o.Lagging = false, 0, []string{"istio-system/public-web"}
			}),
			want: []string{"step 2/3: istio-system/public-web does not carry canary weight 1%", "bake time starts again"},
		},
		"a rollback for overwritten weights names the VirtualService and the restarts": {
			status: with(stepping(2, -time.Minute), func(s *stepper.Status) { s.LagRestarts = stepper.MaxLagRestarts }),
			obs: with(observed(stepping(2, 0)), func(o *stepper.Observations) {
				o.Routed, o.AppliedWeight, o.Lagging = false, 0, []string{"istio-system/public-web"}
			}),
			want: []string{"step 2/3: canary weight 1% is missing from istio-system/public-web again after the step started over 3 times"},
		},
		"a finished rollback keeps the rollback's message": {
			status: rollingBack(), obs: observed(rollingBack()),
			want: []string{rollingBack().Message},
		},
		"a hold names the holding gate and the maximum hold time": {
			status: due,
			obs:    with(observed(due), func(o *stepper.Observations) { o.Verdicts = holding }),
			want:   []string{"step 1/3", "latency-p99: too few requests", "rolls back after 30m0s"},
		},
		"a hold timeout names what held the step": {
			status: with(due, func(s *stepper.Status) { s.HoldSince, s.Verdicts = at(-30*time.Minute), holding }),
			obs:    with(observed(due), func(o *stepper.Observations) { o.CanaryAvailable = false }),
			want:   []string{"held for 30m0s", "canary not available", "latency-p99: too few requests"},
		},
		"a canary past its deadline says what it waits for": {
			status: stepping(0, -10*time.Minute),
			obs: with(observed(stepping(0, 0)), func(o *stepper.Observations) {
				o.CanaryHash, o.CanaryAvailable = "", false
			}),
			want: []string{"revision r1 not ready within 10m0s",
				"canary not available, canary pod-template-hash not known"},
		},
		"a canary past its deadline counts its pods that are ready endpoints": {
			status: stepping(0, -10*time.Minute),
			obs: with(observed(stepping(0, 0)), func(o *stepper.Observations) {
				o.UserReplicas, o.CanaryEndpoints = 3, 1
			}),
			want: []string{"revision r1 not ready within 10m0s", "canary's pods not yet ready endpoints of the Service (1 of 3)"},
		},
		"a canary at the bound of 3 deadlines says so": {
			status: stepping(0, -30*time.Minute),
			obs: with(observed(stepping(0, 0)), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryUnobserved = false, true
			}),
			want: []string{"revision r1 not ready within 30m0s of the step's start (3 × the progress deadline)", "canary not available"},
		},
		"a canary the Deployment controller timed out says so": {
			status: stepping(0, -time.Minute),
			obs: with(observed(stepping(0, 0)), func(o *stepper.Observations) {
				o.CanaryAvailable, o.CanaryTimedOutAt = false, t0
			}),
			want: []string{"revision r1 not ready by its own progressDeadlineSeconds (the Deployment controller reports ProgressDeadlineExceeded)"},
		},
		"a primary past its deadline in promotion says how long it made no progress and that the wait goes on": {
			status: with(promoting(), func(s *stepper.Status) { s.StepStart = at(-10 * time.Minute) }),
			obs: with(observed(promoting()), func(o *stepper.Observations) {
				o.PrimaryRevision, o.PrimaryAvailable = "r1", false
			}),
			want: []string{"primary web-primary has not rolled out revision r1 within 10m0s of its last progress; still waiting"},
		},
		"a superseded release names both revisions and its step": {
			status: stepping(2, 0),
			obs:    with(observed(stepping(2, 0)), func(o *stepper.Observations) { o.Revision = "r2" }),
			want:   []string{"revision r1 superseded by r2 at step 2/3"},
		},
		"a resumed step says how long it was paused": {
			status: paused(1, -10*time.Minute, -8*time.Minute), obs: observed(stepping(1, 0)),
			want: []string{"resumed at step 1/3 after 8m0s paused"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			if tc.config != nil {
				tc.config(&cfg)
			}
			s, a := stepper.Next(cfg, tc.status, tc.obs, t0)
			if len(a.Events) == 0 {
				t.Fatalf("no event")
			}
			last := a.Events[len(a.Events)-1].Message
			for _, want := range tc.want {
				if !strings.Contains(last, want) || !strings.Contains(s.Message, want) {
					t.Errorf("event %q or status %q lacks %q", last, s.Message, want)
				}
			}
		})
	}
}
