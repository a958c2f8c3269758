package stepper

import (
	"fmt"
	"slices"
	"time"

	"github.com/meshcanary/meshcanary/pkg/gates"
)

// recordHooks records the answers of hook calls in their pending records
// (see AwaitsHook; other answers are ignored): success or a refusal ends
// a record; a failure counts an attempt and, once the retries are spent,
// ends it failed. A refused or failed pre-release hook rolls the release
// back at step 0, before any weight moved. Records of hooks no longer
// configured are dropped.
func (m *machine) recordHooks() {
	m.keepHooks(func(st HookState) bool { return hookURL(m.cfg.Hooks, st.Hook) != "" })
	for _, a := range m.o.HookAnswers {
		if i := awaitedRecord(m.s, a.Call); i >= 0 {
			m.recordHook(&m.s.Hooks[i], a)
		}
	}
}

// recordHook records answer a in the pending record st.
func (m *machine) recordHook(st *HookState, a HookAnswer) {
	st.Attempts, st.LastAttempt, st.Message = a.Call.Attempt, m.stamp(), a.Answer.Reason
	name := fmt.Sprintf("%s hook of revision %s", st.Hook, st.Revision)
	switch {
	case a.Answer.Outcome == gates.HookRefuse && st.Hook == HookPreRelease:
		st.Result = HookRefused
		m.endPreRelease(st, ReasonHookRefused, fmt.Sprintf("%s refused the release: %s", name, st.Message))
	case a.Answer.Outcome != gates.HookError:
		st.Result = HookSucceeded
		m.emit(false, ReasonHookSucceeded, fmt.Sprintf("%s succeeded at attempt %d", name, st.Attempts))
	case st.Attempts < a.Call.Attempts:
		m.emit(true, ReasonHookAttemptFailed, fmt.Sprintf("%s: attempt %d of %d failed: %s; next attempt in %s",
			name, st.Attempts, a.Call.Attempts, st.Message, hookBackoff(st.Attempts)))
	default:
		st.Result = HookFailed
		msg := fmt.Sprintf("%s failed after %d attempts: %s", name, st.Attempts, st.Message)
		if st.Hook != HookPreRelease {
			m.emit(true, ReasonHookFailed, msg)
			return
		}
		m.endPreRelease(st, ReasonHookFailed, msg)
	}
}

// endPreRelease rolls back the release the refused or failed pre-release
// hook st belongs to, if it still waits for it.
func (m *machine) endPreRelease(st *HookState, reason, message string) {
	if effectivePhase(m.s) != PhaseProgressing || m.s.Revision != st.Revision || m.s.Step != 0 {
		m.emit(true, reason, message)
		return
	}
	m.rollBack(reason, message+"; no traffic was moved to the canary")
}

// preReleaseDone reports whether the pre-release hook of the release let
// it take its first step: true without a hook or once it succeeded. The
// first time, it queues the hook (DueHooks then calls it).
func (m *machine) preReleaseDone() bool {
	if m.cfg.Hooks.PreRelease == "" {
		return true
	}
	i := slices.IndexFunc(m.s.Hooks, func(st HookState) bool {
		return st.Hook == HookPreRelease && st.Revision == m.s.Revision
	})
	if i >= 0 {
		return m.s.Hooks[i].Result == HookSucceeded
	}
	m.queueHook(HookPreRelease)
	m.transition(false, ReasonCallingHook, fmt.Sprintf("revision %s is ready: calling the pre-release hook before step 1",
		m.s.Revision))
	return false
}

// queueHook records hook h of the current release as pending, replacing
// any earlier record of h, when h is configured.
func (m *machine) queueHook(h Hook) {
	if hookURL(m.cfg.Hooks, h) == "" {
		return
	}
	m.keepHooks(func(st HookState) bool { return st.Hook != h })
	m.s.Hooks = append(m.s.Hooks, HookState{Hook: h, Revision: m.s.Revision, ReleaseStart: timeOf(m.s.ReleaseStart), Result: HookPending})
}

// forgetHooks drops, at the start of a release, the records of the
// previous one except its post hooks still pending.
func (m *machine) forgetHooks() {
	m.keepHooks(func(st HookState) bool { return st.Result == HookPending && st.Hook != HookPreRelease })
}

// dropPreRelease drops, when a release rolls back, its pre-release hook
// if it is still pending: there is no first step left for it to allow, so
// it is not called again and the answer of a call under way is ignored.
func (m *machine) dropPreRelease() {
	m.keepHooks(func(st HookState) bool { return st.Hook != HookPreRelease || st.Result != HookPending })
}

// keepHooks keeps the hook records for which keep is true, in a new
// slice (nil when none).
func (m *machine) keepHooks(keep func(HookState) bool) {
	var kept []HookState
	for _, st := range m.s.Hooks {
		if keep(st) {
			kept = append(kept, st)
		}
	}
	m.s.Hooks = kept
}

// hookWait is the time until the next pending hook call is due, 0 when
// none is pending (or the canary is paused). A hook with a call under way
// waits for no timer: the end of the call brings the next decision.
func (m *machine) hookWait() time.Duration {
	if m.s.Phase == PhasePaused {
		return 0
	}
	var wait time.Duration
	for _, st := range m.s.Hooks {
		if st.Result != HookPending || slices.Contains(m.o.HooksCalling, st.Hook) {
			continue
		}
		d := m.until(nextAttempt(st))
		if wait == 0 || d < wait {
			wait = d
		}
	}
	return wait
}
