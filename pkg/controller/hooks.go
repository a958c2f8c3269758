package controller

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// HookCaller calls release hooks. It is implemented by *gates.Evaluator.
type HookCaller interface {
	// CallHook POSTs req to url once, within timeout.
	CallHook(ctx context.Context, url string, timeout time.Duration, req gates.HookRequest) gates.HookAnswer
	// CheckHooks reports hook URLs the operator does not allow.
	CheckHooks(h config.Hooks) config.Problems
}

// checkHooks reports the hooks of cfg this controller cannot call.
func (c *Controller) checkHooks(cfg config.Config) config.Problems {
	if c.hooks != nil {
		return c.hooks.CheckHooks(cfg.Hooks)
	}
	var probs config.Problems
	for _, h := range []struct{ key, url string }{
		{config.KeyHookPreRelease, cfg.Hooks.PreRelease},
		{config.KeyHookPostPromotion, cfg.Hooks.PostPromotion},
		{config.KeyHookPostRollback, cfg.Hooks.PostRollback},
	} {
		if h.url != "" {
			probs = append(probs, config.Problem{Key: config.Prefix + h.key, Value: h.url,
				Valid: "no hook: this controller was started without a hook caller"})
		}
	}
	return probs
}

// hookRequest is the payload of call about the canary of s, whose
// decided status is st.
func hookRequest(s *snapshot, st stepper.Status, call stepper.HookCall, now time.Time) gates.HookRequest {
	return gates.HookRequest{
		ID:   hookID(s.user.Namespace, s.user.Name, call),
		Hook: string(call.Hook),
		Subject: gates.Subject{Namespace: s.user.Namespace, Deployment: s.user.Name, Primary: s.cfg.PrimaryName,
			Service: s.target.Service, Revision: call.Revision},
		StableRevision: st.StableRevision,
		Phase:          string(st.Phase), Reason: st.Reason, Message: st.Message,
		Attempt: call.Attempt, Attempts: call.Attempts, ReleaseStart: call.ReleaseStart, Now: now,
		Annotations: gates.PayloadAnnotations(s.user.Annotations),
	}
}

// hookID is the idempotency key of every attempt of one hook of one
// release: namespace/deployment/revision/hook/releaseStart (Unix seconds).
func hookID(namespace, name string, call stepper.HookCall) string {
	return fmt.Sprintf("%s/%s/%s/%s/%s", namespace, name, call.Revision, call.Hook,
		strconv.FormatInt(call.ReleaseStart.Unix(), 10))
}
