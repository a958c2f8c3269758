package stepper_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// Hook URLs of the tests.
const (
	preURL      = "https://hooks.example.com/pre"
	promotedURL = "https://hooks.example.com/promoted"
	rollbackURL = "https://hooks.example.com/rolled-back"
)

// withHooks configures every hook with one retry.
func withHooks(c *config.Config) {
	c.Hooks = config.Hooks{PreRelease: preURL, PostPromotion: promotedURL, PostRollback: rollbackURL,
		Timeout: 10 * time.Second, Retries: 1}
}

// hookState is a record of hook h of r1's release.
func hookState(h stepper.Hook, result stepper.HookResult, attempts int, last *time.Time) stepper.HookState {
	return stepper.HookState{Hook: h, Revision: "r1", ReleaseStart: t0.Add(-time.Hour), Result: result,
		Attempts: attempts, LastAttempt: last}
}

// hookAnswer is the answer of attempt of hook h of r1's release.
func hookAnswer(h stepper.Hook, url string, attempt int, outcome gates.HookOutcome) *stepper.HookAnswer {
	return &stepper.HookAnswer{
		Call: stepper.HookCall{Hook: h, URL: url, Revision: "r1", ReleaseStart: t0.Add(-time.Hour),
			Attempt: attempt, Attempts: 2, Timeout: 10 * time.Second},
		Answer: gates.HookAnswer{Outcome: outcome, Reason: "because"},
	}
}

func TestDueHooks(t *testing.T) {
	pending := func(attempts int, last *time.Time) stepper.Status {
		return with(stepping(0, -time.Minute), func(s *stepper.Status) {
			s.Hooks = []stepper.HookState{hookState(stepper.HookPreRelease, stepper.HookPending, attempts, last)}
		})
	}
	first := stepper.HookCall{Hook: stepper.HookPreRelease, URL: preURL, Revision: "r1", ReleaseStart: t0.Add(-time.Hour),
		Attempt: 1, Attempts: 2, Timeout: 10 * time.Second}
	second := with(first, func(c *stepper.HookCall) { c.Attempt = 2 })
	rolledBack := stepper.HookCall{Hook: stepper.HookPostRollback, URL: rollbackURL, Revision: "r1", ReleaseStart: t0.Add(-time.Hour),
		Attempt: 1, Attempts: 2, Timeout: 10 * time.Second}
	twoPending := with(pending(0, nil), func(s *stepper.Status) {
		s.Hooks = append(s.Hooks, hookState(stepper.HookPostRollback, stepper.HookPending, 0, nil))
	})
	tests := map[string]struct {
		config func(*config.Config)
		status stepper.Status
		obs    func(*stepper.Observations)
		now    time.Duration
		want   []stepper.HookCall
	}{
		"a release without hooks calls none": {
			config: func(*config.Config) {}, status: stepping(0, 0),
		},
		"a queued hook is due at once as attempt 1": {
			config: withHooks, status: pending(0, nil), want: []stepper.HookCall{first},
		},
		"every pending hook is due, each with its own call": {
			config: withHooks, status: twoPending, want: []stepper.HookCall{first, rolledBack},
		},
		"a hook with a call under way gets no second call; the others are due": {
			config: withHooks, status: twoPending,
			obs:  func(o *stepper.Observations) { o.HooksCalling = []stepper.Hook{stepper.HookPreRelease} },
			want: []stepper.HookCall{rolledBack},
		},
		"no hook is called while the decided weight is above 0": {
			config: withHooks, status: with(pending(0, nil), func(s *stepper.Status) { s.Weight = 50 }),
			obs: func(o *stepper.Observations) { o.AppliedWeight = 0 },
		},
		"a failed attempt waits 2s before the next": {
			config: withHooks, status: pending(1, at(-time.Second)),
		},
		"the next attempt is due once the backoff is over": {
			config: withHooks, status: pending(1, at(-2*time.Second)),
			want: []stepper.HookCall{second},
		},
		"no hook is called while a route still gives the canary weight": {
			config: withHooks, status: pending(0, nil), obs: func(o *stepper.Observations) { o.AppliedWeight = 50 },
		},
		"no hook is called while the routes are not seen": {
			config: withHooks, status: pending(0, nil), obs: func(o *stepper.Observations) { o.Routed = false },
		},
		"a paused canary calls no hook": {
			config: withHooks, status: with(pending(0, nil), func(s *stepper.Status) { s.Phase = stepper.PhasePaused }),
		},
		"a hook whose annotation was removed is not called": {
			config: func(c *config.Config) { withHooks(c); c.Hooks.PreRelease = "" }, status: pending(0, nil),
		},
		"a finished hook is not called again": {
			config: withHooks, status: with(stepping(1, 0), func(s *stepper.Status) {
				s.Hooks = []stepper.HookState{hookState(stepper.HookPreRelease, stepper.HookSucceeded, 1, at(-time.Hour))}
			}),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			tc.config(&cfg)
			obs := observed(tc.status)
			if tc.obs != nil {
				tc.obs(&obs)
			}
			got := stepper.DueHooks(cfg, tc.status, obs, t0.Add(tc.now))
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("DueHooks (-want +got):\n%s", d)
			}
		})
	}
}

func TestNextPreReleaseHook(t *testing.T) {
	start := stepping(0, -2*time.Minute)
	queued := with(start, func(s *stepper.Status) {
		s.Hooks = []stepper.HookState{hookState(stepper.HookPreRelease, stepper.HookPending, 0, nil)}
		moved(s, stepper.ReasonCallingHook, t0.Add(-time.Second))
	})
	retrying := with(queued, func(s *stepper.Status) {
		s.Hooks = []stepper.HookState{hookState(stepper.HookPreRelease, stepper.HookPending, 1, at(-5*time.Second))}
		s.Hooks[0].Message = "because"
	})
	answered := func(o stepper.Observations, attempt int, outcome gates.HookOutcome) stepper.Observations {
		o.HookAnswers = []stepper.HookAnswer{*hookAnswer(stepper.HookPreRelease, preURL, attempt, outcome)}
		return o
	}
	record := func(result stepper.HookResult, attempts int) func(*stepper.Status, time.Time) {
		return func(s *stepper.Status, now time.Time) {
			s.Hooks = []stepper.HookState{hookState(stepper.HookPreRelease, result, attempts, &now)}
			s.Hooks[0].Message = "because"
		}
	}
	// refusedBy expects the release to end Failed at weight 0 with reason,
	// the post-rollback hook queued.
	refusedBy := func(reason string, attempts int, result stepper.HookResult) func(*stepper.Status, time.Time) {
		return func(s *stepper.Status, now time.Time) {
			record(result, attempts)(s, now)
			s.Hooks = append(s.Hooks, hookState(stepper.HookPostRollback, stepper.HookPending, 0, nil))
			s.Phase, s.Weight = stepper.PhaseFailed, 0
			moved(s, reason, now)
		}
	}
	ended := func(reason string) stepper.Actions {
		return stepper.Actions{Route: true, Canary: stepper.ScaleDown, Requeue: time.Second,
			Events: []stepper.Event{warning(reason), warning(stepper.ReasonRolledBack)}}
	}
	runNext(t, map[string]nextCase{
		"a ready canary queues the pre-release hook and keeps weight 0": {
			config: withHooks, status: start, obs: observed(start),
			want: func(s *stepper.Status, now time.Time) {
				s.Hooks = []stepper.HookState{hookState(stepper.HookPreRelease, stepper.HookPending, 0, nil)}
				moved(s, stepper.ReasonCallingHook, now)
			},
			actions: running(time.Second, normal(stepper.ReasonCallingHook)),
		},
		"the canary waits for the pending hook without a new event": {
			config: withHooks, status: retrying, obs: observed(start),
			actions: running(time.Second),
		},
		"a hook that proceeds lets step 1 follow in the same decision": {
			config: withHooks, status: queued, obs: answered(observed(start), 1, gates.HookProceed),
			want: func(s *stepper.Status, now time.Time) {
				record(stepper.HookSucceeded, 1)(s, now)
				toStep(1)(s, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonHookSucceeded), normal(stepper.ReasonStepAdvanced)),
		},
		"a hook that refuses ends the release at weight 0 with its reason": {
			config: withHooks, status: queued, obs: answered(observed(start), 1, gates.HookRefuse),
			want:    refusedBy(stepper.ReasonHookRefused, 1, stepper.HookRefused),
			actions: ended(stepper.ReasonHookRefused),
		},
		"a failed attempt is retried after the backoff": {
			config: withHooks, status: queued, obs: answered(observed(start), 1, gates.HookError),
			want:    record(stepper.HookPending, 1),
			actions: running(2*time.Second, warning(stepper.ReasonHookAttemptFailed)),
		},
		"a hook that fails its last attempt ends the release at weight 0": {
			config: withHooks, status: retrying, obs: answered(observed(start), 2, gates.HookError),
			want:    refusedBy(stepper.ReasonHookFailed, 2, stepper.HookFailed),
			actions: ended(stepper.ReasonHookFailed),
		},
		"an answer to an attempt already recorded is ignored": {
			config: withHooks, status: retrying, obs: answered(observed(start), 1, gates.HookRefuse),
			actions: running(time.Second),
		},
		"an answer about an earlier release of the same revision is ignored": {
			config: withHooks, status: queued,
			obs: with(answered(observed(start), 1, gates.HookRefuse), func(o *stepper.Observations) {
				o.HookAnswers[0].Call.ReleaseStart = t0.Add(-2 * time.Hour)
			}),
			actions: running(time.Second),
		},
		"a pending hook with a call under way waits for its answer, not for a timer": {
			config: withHooks, status: queued,
			obs:     with(observed(start), func(o *stepper.Observations) { o.HooksCalling = []stepper.Hook{stepper.HookPreRelease} }),
			actions: running(time.Minute),
		},
		"an abort while the pre-release hook is pending drops it: its late answer is ignored": {
			config: withHooks, status: queued,
			obs: with(observed(start), func(o *stepper.Observations) {
				o.Command, o.HooksCalling = "abort/1", []stepper.Hook{stepper.HookPreRelease}
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Hooks = []stepper.HookState{hookState(stepper.HookPostRollback, stepper.HookPending, 0, nil)}
				s.Phase, s.Weight, s.CommandAck = stepper.PhaseFailed, 0, "abort/1"
				moved(s, stepper.ReasonAborted, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleDown, Requeue: time.Second,
				Events: []stepper.Event{warning(stepper.ReasonAborted), warning(stepper.ReasonRolledBack)}},
		},
		"a hook removed while pending lets step 1 follow": {
			config: func(c *config.Config) { withHooks(c); c.Hooks.PreRelease = "" }, status: queued, obs: observed(start),
			want: func(s *stepper.Status, now time.Time) {
				s.Hooks = nil
				toStep(1)(s, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
	})
}
