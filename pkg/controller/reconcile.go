package controller

import (
	"context"
	"time"

	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// reconcile brings one canary a step closer to what its status says and
// returns when to look again.
func (c *Controller) reconcile(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return 0, nil
	}
	cs := c.cachesFor(ns)
	if cs == nil {
		return 0, nil
	}
	user, err := cs.users.Deployments(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return c.optOut(ctx, cs, ns, name)
	}
	if err != nil {
		return 0, err
	}
	log := c.log.With(zap.String("namespace", ns), zap.String("deployment", name))

	snap, problems, err := c.gather(ctx, cs, user)
	if err != nil {
		return 0, err
	}
	if snap.behind {
		log.Debug("the caches do not show the controller's last write yet; looking again", zap.Duration("after", staleCacheRetry))
		return staleCacheRetry, nil
	}
	if len(problems) > 0 {
		return c.reportInvalid(ctx, snap, problems, log)
	}

	asked := c.clock.Now()
	obs := snap.obs
	if stepper.NeedsEvaluation(snap.cfg, snap.status, asked, c.lastEvalOf(key)) {
		var ok bool
		if obs.Verdicts, ok = c.evaluate(ctx, key, snap, asked, log); ok {
			c.setLastEval(key, asked)
		}
	}
	obs.HookAnswers, obs.HooksCalling = c.hookAnswers(key)
	// The time the gates took (up to the gate deadline) is not part of the
	// next step's bake time: its weight is written after they answered.
	now := stepper.DecisionTime(snap.cfg, snap.status, asked, c.clock.Now())
	next, act := stepper.Next(snap.cfg, snap.status, obs, now)
	next = withRoutes(snap, next)

	if err := c.persist(ctx, snap, next, act, log); err != nil {
		return 0, err
	}
	if snap.recordsStart {
		// The canary's slot records the start, in the write that gives it
		// the template: the start is persisted with it.
		if err := c.converge(ctx, snap, next, act, log); err != nil {
			return 0, err
		}
	}
	c.startHookCalls(ctx, key, snap, next, now, log)
	c.warnUnsplit(snap, next, log)
	c.record(snap, next, act, now, log)
	if snap.recordsStart {
		return c.left(act.Requeue, now), nil
	}
	if startsRelease(snap.status, next) {
		// The start is persisted; the rest (the canary's scale-up) waits
		// for the key's next turn in the queue, behind the canaries whose
		// start is not persisted yet: when hundreds of new revisions come
		// at once, every start (what `meshcanary status` and the reaction
		// show) goes before any scale-up competes with them for the API
		// server. It is the order a crash after the status write gives.
		return time.Nanosecond, nil
	}
	if err := c.converge(ctx, snap, next, act, log); err != nil {
		return 0, err
	}
	return c.left(act.Requeue, now), nil
}

// startsRelease reports whether the decision next starts a release that
// the persisted status prev did not hold: Progressing at step 0 with a
// revision prev was not progressing with.
func startsRelease(prev, next stepper.Status) bool {
	return next.Phase == stepper.PhaseProgressing && next.Step == 0 &&
		(prev.Phase != stepper.PhaseProgressing || prev.Revision != next.Revision)
}

// reportInvalid records invalid configuration in the status (in memory
// while the Deployment has no VirtualService: see pending), as a Warning
// Event and in the log, and releases nothing new; with the weight of a
// rollback, status and route go in one write. A release in flight keeps
// its safety timers (stepper.Invalid): a step that holds past max-hold, or
// a canary that misses its progress deadline, is rolled back to weight 0,
// and the canary is looked at again when the next timer is due.
func (c *Controller) reportInvalid(ctx context.Context, s *snapshot, problems config.Problems, log *zap.Logger) (time.Duration, error) {
	msg := problems.Error()
	if s.statusUnreadable {
		log.Warn("invalid configuration; traffic left unchanged", zap.String("problems", msg))
		c.recorder.Event(s.user, corev1.EventTypeWarning, stepper.ReasonInvalidConfig, msg)
		return 0, nil
	}
	now := c.clock.Now()
	next, act := stepper.Invalid(s.cfg, s.status, s.obs, msg, now)
	if s.target.Service == "" || s.vs == nil {
		act.Route = false
	}
	routes := s
	if act.Route {
		routes = s.withLiveRouting()
	}
	if err := c.writeHome(ctx, routes, next, act.Route, log); err != nil {
		return 0, err
	}
	if err := c.writeSplits(ctx, routes, next, act.Route); err != nil {
		return 0, err
	}
	c.record(s, next, act, now, log)
	return c.left(act.Requeue, now), nil
}

// left turns requeue, which the stepper counts from its decision at
// decided, into the wait left after the writes that followed it: the time
// the writes took under a loaded API server must not push the next step's
// timer back, or every step would start that much later than due (step
// lag). A wait already over is the shortest one the workqueue takes.
func (c *Controller) left(requeue time.Duration, decided time.Time) time.Duration {
	if requeue <= 0 {
		return 0
	}
	return max(requeue-c.clock.Since(decided), time.Nanosecond)
}

func (c *Controller) lastEvalOf(key string) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastEval[key]
}

func (c *Controller) setLastEval(key string, t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastEval[key] = t
}

// forget drops everything kept in memory about a canary that is gone.
func (c *Controller) forget(namespace, name string) {
	c.forgetRelease(namespace, name)
	c.dropHookCalls(namespace + "/" + name)
	c.own.forget(namespace + "/" + name)
	c.clearPending(namespace + "/" + name)
}

// forgetRelease drops the in-memory state of a release that ended. The
// record of the status write that ended it stays: the next reconcile must
// still wait for the cache to show it.
func (c *Controller) forgetRelease(namespace, name string) {
	c.mu.Lock()
	delete(c.lastEval, namespace+"/"+name)
	delete(c.evals, namespace+"/"+name)
	delete(c.hashes, namespace+"/"+name)
	delete(c.subsets, namespace+"/"+name)
	delete(c.routesGone, namespace+"/"+name)
	c.mu.Unlock()
	if c.gates != nil {
		c.gates.Forget(namespace, name)
	}
}
