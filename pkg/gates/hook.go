package gates

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// HookRequest is the JSON body POSTed to a release hook. ID is the same
// for every attempt of one hook of one release, so that a hook can ignore
// a repeated delivery (calls are at least once).
type HookRequest struct {
	// ID is "namespace/deployment/revision/hook/releaseStart", releaseStart
	// in Unix seconds.
	ID string `json:"id"`
	// Hook is "pre-release", "post-promotion" or "post-rollback".
	Hook string `json:"hook"`
	Subject
	// StableRevision is the revision the primary serves (after a
	// promotion, the released one).
	StableRevision string `json:"stableRevision"`
	// Phase, Reason and Message are the canary's status when the call is
	// made, for example Failed, TooManyFailedChecks and why.
	Phase   string `json:"phase"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Attempt counts from 1; Attempts is the most there will be.
	Attempt      int       `json:"attempt"`
	Attempts     int       `json:"attempts"`
	ReleaseStart time.Time `json:"releaseStart"`
	Now          time.Time `json:"now"`
	// Annotations are the Deployment's meshcanary.io/ annotations, except
	// the status.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// HookResponse is what a hook may answer with a 2xx status: result
// "proceed" (the default, also for an empty body) or, from a pre-release
// hook, "refuse" with a reason.
type HookResponse struct {
	Result string `json:"result"`
	Reason string `json:"reason"`
}

// HookOutcome is how one call of a hook ended.
type HookOutcome string

// The outcomes of a hook call.
const (
	// HookProceed: the hook answered 2xx without refusing.
	HookProceed HookOutcome = "proceed"
	// HookRefuse: the hook answered 2xx with result "refuse".
	HookRefuse HookOutcome = "refuse"
	// HookError: the call failed (not allowed, unreachable, timeout,
	// non-2xx status, unreadable answer); it may be retried.
	HookError HookOutcome = "error"
)

// HookAnswer is the outcome of one hook call and its reason.
type HookAnswer struct {
	Outcome HookOutcome
	Reason  string
}

// CheckHooks reports, as invalid configuration, every hook URL the
// operator did not allow: hooks follow the gate webhooks' allowlist.
func (e *Evaluator) CheckHooks(h config.Hooks) config.Problems {
	var probs config.Problems
	for _, u := range []struct{ key, url string }{
		{config.KeyHookPreRelease, h.PreRelease},
		{config.KeyHookPostPromotion, h.PostPromotion},
		{config.KeyHookPostRollback, h.PostRollback},
	} {
		if u.url != "" && !e.webhooks.allowed(u.url) {
			probs = append(probs, config.Problem{Key: config.Prefix + u.key, Value: u.url, Valid: e.webhooks.valid()})
		}
	}
	return probs
}

// CallHook POSTs req to url once, within timeout (or ctx), without
// following redirects. Only allowed URLs are called.
func (e *Evaluator) CallHook(ctx context.Context, url string, timeout time.Duration, req HookRequest) HookAnswer {
	if !e.webhooks.allowed(url) {
		return HookAnswer{Outcome: HookError, Reason: "hook URL not allowed: " + e.webhooks.valid()}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, status, err := postJSON(ctx, e.hookClient, "hook", url, req, map[string]string{"Idempotency-Key": req.ID})
	if err != nil {
		return hookError(err)
	}
	if status/100 != 2 {
		return HookAnswer{Outcome: HookError, Reason: fmt.Sprintf("hook answered HTTP %d", status)}
	}
	return hookAnswer(raw)
}

// hookAnswer reads a 2xx answer: empty is proceed; anything else must be a
// HookResponse with result proceed or refuse.
func hookAnswer(raw []byte) HookAnswer {
	if len(bytes.TrimSpace(raw)) == 0 {
		return HookAnswer{Outcome: HookProceed}
	}
	var ans HookResponse
	if err := json.Unmarshal(raw, &ans); err != nil {
		return hookError(fmt.Errorf(`hook answer is neither empty nor {"result": "proceed"|"refuse", "reason": ...}: %w`, err))
	}
	reason := truncateReason(ans.Reason)
	switch strings.ToLower(ans.Result) {
	case "", "proceed":
		return HookAnswer{Outcome: HookProceed, Reason: reason}
	case "refuse":
		return HookAnswer{Outcome: HookRefuse, Reason: reason}
	}
	return HookAnswer{Outcome: HookError, Reason: fmt.Sprintf("hook answered result %q; expected proceed or refuse", ans.Result)}
}

func hookError(err error) HookAnswer {
	return HookAnswer{Outcome: HookError, Reason: truncateReason(err.Error())}
}
