package controller

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// A release hook may take hook-timeout × (hook-retries + 1), up to
// minutes, to answer; a call made by the worker would hold one of the
// workers for up to 30 s per attempt. Hook calls therefore run in the
// background, as slow gate evaluations do: the reconcile that persisted a
// status with a due hook starts the call (startHookCalls), the call's
// goroutine ends with the call and queues the canary again, and the next
// reconcile hands the answer to stepper.Next (hookAnswers), which records
// it in the status. Until that status is written the answer lives only in
// memory: a restart or a leader change in between calls the hook again,
// with the same idempotency key (at least once, see docs/hooks.md).

// hookOrder is the order answers are handed to Next in.
var hookOrder = []stepper.Hook{stepper.HookPreRelease, stepper.HookPostPromotion, stepper.HookPostRollback}

// hookCall is one call of a release hook under way or ended, for one
// canary and hook: at most one per canary and hook at a time.
type hookCall struct {
	call   stepper.HookCall
	cancel context.CancelFunc
	// Guarded by Controller.mu:
	finished bool
	answer   gates.HookAnswer
	// cancelled: the call was cut short (see startHookCalls).
	cancelled bool
}

// hookAnswers returns, for Next, the answers of key's hook calls that
// ended and the hooks whose calls are still under way.
func (c *Controller) hookAnswers(key string) (answers []stepper.HookAnswer, calling []stepper.Hook) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hookOrder {
		hc, ok := c.hookCalls[key][h]
		switch {
		case !ok:
		case hc.finished:
			answers = append(answers, stepper.HookAnswer{Call: hc.call, Answer: hc.answer})
		default:
			calling = append(calling, h)
		}
	}
	return answers, calling
}

// startHookCalls runs once the decided status next is persisted. It
// forgets the ended calls next no longer waits for (their answers are
// recorded, or belong to a release that is over), cuts short the calls
// under way next no longer waits for (a superseded, aborted or retried
// release: their late answers are ignored), and starts the calls
// stepper.DueHooks asks for, each in a goroutine that lives as long as the
// call and queues the canary again when it ends.
func (c *Controller) startHookCalls(ctx context.Context, key string, s *snapshot, next stepper.Status, now time.Time, log *zap.Logger) {
	if c.hooks == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	calls := c.hookCalls[key]
	var calling []stepper.Hook
	for h, hc := range calls {
		switch {
		case stepper.AwaitsHook(next, hc.call):
		case hc.finished:
			delete(calls, h)
			continue
		default:
			hc.cancelled = true
			hc.cancel()
		}
		calling = append(calling, h)
	}
	obs := s.obs
	obs.HooksCalling = calling
	for _, call := range stepper.DueHooks(s.cfg, next, obs, now) {
		if calls == nil {
			calls = map[stepper.Hook]*hookCall{}
		}
		callCtx, cancel := context.WithCancel(ctx)
		hc := &hookCall{call: call, cancel: cancel}
		calls[call.Hook] = hc
		go c.callHook(callCtx, key, hc, hookRequest(s, next, call, now), log)
	}
	if len(calls) == 0 {
		delete(c.hookCalls, key)
		return
	}
	if c.hookCalls == nil {
		c.hookCalls = map[string]map[stepper.Hook]*hookCall{}
	}
	c.hookCalls[key] = calls
}

// callHook makes the call of hc, keeps its answer, counts and times it,
// and queues the canary again.
func (c *Controller) callHook(ctx context.Context, key string, hc *hookCall, req gates.HookRequest, log *zap.Logger) {
	defer hc.cancel()
	start := c.clock.Now()
	a := c.hooks.CallHook(ctx, hc.call.URL, hc.call.Timeout, req)
	took := c.clock.Since(start)
	c.mu.Lock()
	hc.finished, hc.answer = true, a
	outcome := string(a.Outcome)
	if hc.cancelled {
		outcome = "cancelled"
	}
	c.mu.Unlock()
	hook := string(hc.call.Hook)
	c.metrics.HookCalls.WithLabelValues(hook, outcome).Inc()
	c.metrics.HookCallDuration.WithLabelValues(hook).Observe(took.Seconds())
	log.Info("release hook called", zap.String("hook", hook), zap.String("id", req.ID), zap.Int("attempt", hc.call.Attempt),
		zap.String("outcome", outcome), zap.String("reason", a.Reason), zap.Duration("took", took))
	c.queue.Add(key)
}

// dropHookCalls cuts short the hook calls of a canary that is gone and
// forgets their answers.
func (c *Controller) dropHookCalls(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, hc := range c.hookCalls[key] {
		hc.cancelled = true
		hc.cancel()
	}
	delete(c.hookCalls, key)
}
