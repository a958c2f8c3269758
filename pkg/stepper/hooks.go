package stepper

import (
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
)

// Hook names a release hook (config.Hooks).
type Hook string

// The release hooks, in the order a release may call them.
const (
	// HookPreRelease is called before the first weight above 0; it may
	// refuse the release.
	HookPreRelease Hook = "pre-release"
	// HookPostPromotion is called once the release is Succeeded.
	HookPostPromotion Hook = "post-promotion"
	// HookPostRollback is called once a rollback put the traffic back on
	// the primary.
	HookPostRollback Hook = "post-rollback"
)

// HookResult is where one hook of one release stands.
type HookResult string

// The results of a hook.
const (
	// HookPending: the hook is to be called (again).
	HookPending HookResult = "Pending"
	// HookSucceeded: the hook answered and did not refuse.
	HookSucceeded HookResult = "Succeeded"
	// HookRefused: the pre-release hook refused the release.
	HookRefused HookResult = "Refused"
	// HookFailed: every attempt failed.
	HookFailed HookResult = "Failed"
)

// HookState is the record of one hook of one release in the status, so
// that a restarted controller neither calls a finished hook again nor
// forgets one that is due.
type HookState struct {
	Hook     Hook   `json:"hook"`
	Revision string `json:"revision"`
	// ReleaseStart is the start of the release the hook belongs to; with
	// the revision it makes the idempotency key of the calls.
	ReleaseStart time.Time  `json:"releaseStart"`
	Result       HookResult `json:"result"`
	// Attempts counts the calls made; LastAttempt is when the last ended.
	Attempts    int        `json:"attempts,omitempty"`
	LastAttempt *time.Time `json:"lastAttempt,omitempty"`
	// Message says how the last call ended.
	Message string `json:"message,omitempty"`
}

// HookCall is a hook call that is due: the controller makes it and hands
// its answer to Next in Observations.Hook.
type HookCall struct {
	Hook         Hook
	URL          string
	Revision     string
	ReleaseStart time.Time
	// Attempt counts from 1; Attempts is the most there will be.
	Attempt  int
	Attempts int
	Timeout  time.Duration
}

// HookAnswer is the answer of the call of Call.
type HookAnswer struct {
	Call   HookCall
	Answer gates.HookAnswer
}

// maxHookBackoff bounds the wait between two attempts of a hook.
const maxHookBackoff = 30 * time.Second

// hookBackoff is the wait after the attempts-th failed attempt: 2s, 4s,
// 8s, … up to maxHookBackoff.
func hookBackoff(attempts int) time.Duration {
	if attempts < 1 {
		return 0
	}
	return min(2*time.Second<<min(attempts-1, 5), maxHookBackoff)
}

// hookURL is the URL of hook h in hooks, "" when it is not set.
func hookURL(hooks config.Hooks, h Hook) string {
	switch h {
	case HookPreRelease:
		return hooks.PreRelease
	case HookPostPromotion:
		return hooks.PostPromotion
	case HookPostRollback:
		return hooks.PostRollback
	}
	return ""
}

// nextAttempt is when the pending hook st may be called again.
func nextAttempt(st HookState) time.Time {
	return timeOf(st.LastAttempt).Add(hookBackoff(st.Attempts))
}

// DueHook returns the hook call that is due at now, if any: the first
// pending hook of the status whose URL is still set and whose backoff is
// over. Hooks are called only while every VirtualService split for the
// canary is seen routing it weight 0 (o.Routed, o.AppliedWeight), so that
// a post hook never runs before the last route left the canary, nor a
// pre-release hook after weight moved. A paused canary calls none.
func DueHook(cfg config.Config, s Status, o Observations, now time.Time) (HookCall, bool) {
	if s.Phase == PhasePaused || !o.Routed || o.AppliedWeight != 0 {
		return HookCall{}, false
	}
	for _, st := range s.Hooks {
		url := hookURL(cfg.Hooks, st.Hook)
		if st.Result != HookPending || url == "" || now.Before(nextAttempt(st)) {
			continue
		}
		return HookCall{
			Hook: st.Hook, URL: url, Revision: st.Revision, ReleaseStart: st.ReleaseStart,
			Attempt: st.Attempts + 1, Attempts: cfg.Hooks.Retries + 1, Timeout: cfg.Hooks.Timeout,
		}, true
	}
	return HookCall{}, false
}
