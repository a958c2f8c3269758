package controller

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func TestHookCallsAreCountedAndTimed(t *testing.T) {
	cases := map[string]struct {
		// end ends the call under way of the pre-release hook.
		end         func(f *fixture, hook *blockedHook)
		wantOutcome string
	}{
		"a call that is answered counts its answer": {
			end:         func(_ *fixture, hook *blockedHook) { hook.release() },
			wantOutcome: "proceed",
		},
		"a call cut short because the canary is gone counts as cancelled": {
			end:         func(f *fixture, _ *blockedHook) { f.c.forget("ns", "web") },
			wantOutcome: "cancelled",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			hook := startBlockedHook(t)
			f := hookedWeb(t, hook)
			hook.request(t)
			f.clock.Step(7 * time.Second) // the call takes 7s
			tc.end(f, hook)
			f.queued("ns/web")

			for _, outcome := range []string{"proceed", "refuse", "error", "cancelled"} {
				want := 0.0
				if outcome == tc.wantOutcome {
					want = 1
				}
				if got := testutil.ToFloat64(f.c.metrics.HookCalls.WithLabelValues("pre-release", outcome)); got != want {
					t.Errorf("hook_calls_total{hook=pre-release,outcome=%s} = %v, want %v", outcome, got, want)
				}
			}
			var m dto.Metric
			if err := f.c.metrics.HookCallDuration.WithLabelValues("pre-release").(prometheus.Metric).Write(&m); err != nil {
				t.Fatal(err)
			}
			if h := m.GetHistogram(); h.GetSampleCount() != 1 || h.GetSampleSum() != 7 {
				t.Errorf("hook_call_duration_seconds{hook=pre-release}: %d calls taking %gs, want 1 taking 7s", h.GetSampleCount(), h.GetSampleSum())
			}
		})
	}
}
