package stepper

import (
	"slices"
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

// HookCall is a hook call that is due: the controller makes it in the
// background and hands its answer to a later Next in
// Observations.HookAnswers.
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

// DueHooks returns the hook calls to start at now: every pending hook of
// the status whose URL is still set, whose backoff is over and that has no
// call under way (Observations.HooksCalling: one call at a time per hook).
// Hooks are called only while the decided weight is 0 and every
// VirtualService split for the canary is seen routing it weight 0
// (o.Routed, o.AppliedWeight), so that a post hook never runs before the
// last route left the canary, nor a pre-release hook after weight moved. A
// paused canary calls none.
func DueHooks(cfg config.Config, s Status, o Observations, now time.Time) []HookCall {
	if s.Phase == PhasePaused || s.Weight != 0 || !o.Routed || o.AppliedWeight != 0 {
		return nil
	}
	var due []HookCall
	for _, st := range s.Hooks {
		url := hookURL(cfg.Hooks, st.Hook)
		if st.Result != HookPending || url == "" || now.Before(nextAttempt(st)) || slices.Contains(o.HooksCalling, st.Hook) {
			continue
		}
		due = append(due, HookCall{
			Hook: st.Hook, URL: url, Revision: st.Revision, ReleaseStart: st.ReleaseStart,
			Attempt: st.Attempts + 1, Attempts: cfg.Hooks.Retries + 1, Timeout: cfg.Hooks.Timeout,
		})
	}
	return due
}

// AwaitsHook reports whether s waits for the answer of call: the record
// of the call's hook, revision and release start is pending with the
// attempts before the call's. An answer s does not wait for (an attempt
// already recorded, a superseded or aborted release, a retried release of
// the same revision) changes nothing.
func AwaitsHook(s Status, call HookCall) bool {
	return awaitedRecord(s, call) >= 0
}

// awaitedRecord is the index of the record of s that waits for the answer
// of call, -1 when none does.
func awaitedRecord(s Status, call HookCall) int {
	return slices.IndexFunc(s.Hooks, func(st HookState) bool {
		return st.Hook == call.Hook && st.Revision == call.Revision && st.ReleaseStart.Equal(call.ReleaseStart) &&
			st.Result == HookPending && st.Attempts == call.Attempt-1
	})
}
