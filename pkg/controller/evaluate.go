package controller

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/meshcanary/meshcanary/pkg/gates"
)

// DefaultGateDeadline is how long a reconcile waits for the gates unless
// Options.GateDeadline says otherwise.
const DefaultGateDeadline = 2 * time.Second

// gateEvaluation is one evaluation of a canary's gates, run in the
// background so that a slow Prometheus or webhook never holds a worker
// longer than the gate deadline.
type gateEvaluation struct {
	release gates.Release // what is evaluated
	done    chan struct{} // closed once verdicts is set
	// Guarded by Controller.mu:
	finished bool
	verdicts []gates.Verdict
	// waiting: a reconcile stopped waiting for the evaluation, so the
	// canary is queued again when it ends.
	waiting bool
}

// evaluate asks the gates about the current step and waits at most the
// gate deadline for their verdicts. An evaluation that takes longer goes
// on in the background: evaluate then reports ok false (the step is not
// judged this time, as between two checks) and the canary is queued again
// when the evaluation ends, so that the next reconcile takes its verdicts
// without waiting. Workers thus keep serving the other canaries' timers,
// and this canary's commands and rollbacks, while Prometheus or a webhook
// is slow. One evaluation of a canary runs at a time; verdicts about
// another step than the current one are dropped.
func (c *Controller) evaluate(ctx context.Context, key string, s *snapshot, now time.Time, log *zap.Logger) (verdicts []gates.Verdict, ok bool) {
	if c.gates == nil || len(s.specs) == 0 {
		return []gates.Verdict{}, true
	}
	r := gateRelease(s, now)
	for {
		ev, wait := c.gateEvaluation(ctx, key, s.specs, r)
		if wait {
			c.awaitEvaluation(ctx, ev)
		}
		c.mu.Lock()
		if !ev.finished {
			first := !ev.waiting
			ev.waiting = true
			c.mu.Unlock()
			if first {
				c.metrics.GateEvaluationsLate.Inc()
				log.Info("gates slower than the gate deadline: their evaluation goes on in the background and the step is judged when it ends",
					zap.Duration("gateDeadline", c.gateDeadline))
			}
			return nil, false
		}
		delete(c.evals, key)
		c.mu.Unlock()
		if sameStep(ev.release, r) {
			return ev.verdicts, true
		}
		// The evaluation of an earlier step ended: evaluate this one.
	}
}

// gateEvaluation returns the canary's evaluation under way, or its
// finished evaluation of r's step, or else starts one of r. wait is false
// when waiting is pointless: the evaluation is of an earlier step, or a
// reconcile already waited for it in vain (the canary is queued again when
// it ends).
func (c *Controller) gateEvaluation(ctx context.Context, key string, specs gates.Specs, r gates.Release) (ev *gateEvaluation, wait bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ev, ok := c.evals[key]; ok && (!ev.finished || sameStep(ev.release, r)) {
		return ev, sameStep(ev.release, r) && !ev.waiting
	}
	ev = &gateEvaluation{release: r, done: make(chan struct{})}
	if c.evals == nil {
		c.evals = map[string]*gateEvaluation{}
	}
	c.evals[key] = ev
	go func() {
		verdicts := c.gates.Evaluate(ctx, specs, r)
		c.mu.Lock()
		ev.finished, ev.verdicts = true, verdicts
		wake := ev.waiting
		c.mu.Unlock()
		close(ev.done)
		if wake {
			c.queue.Add(key)
		}
	}()
	return ev, true
}

// awaitEvaluation waits until ev ends, the gate deadline passes or ctx
// ends.
func (c *Controller) awaitEvaluation(ctx context.Context, ev *gateEvaluation) {
	t := c.clock.NewTimer(c.gateDeadline)
	defer t.Stop()
	select {
	case <-ev.done:
	case <-t.C():
	case <-ctx.Done():
	}
}

// gateRelease describes the release of s to the gates.
func gateRelease(s *snapshot, now time.Time) gates.Release {
	st := s.status
	r := gates.Release{
		Namespace:    s.user.Namespace,
		Deployment:   s.user.Name,
		Primary:      s.cfg.PrimaryName,
		Service:      s.target.Service,
		Revision:     st.Revision,
		Step:         st.Step,
		CanaryWeight: st.Weight,
		Total:        st.Total,
		MoreSteps:    st.Step < len(s.cfg.Steps),
		Now:          now,
		Annotations:  s.user.Annotations,
	}
	if st.ReleaseStart != nil {
		r.ReleaseStart = *st.ReleaseStart
	}
	if st.StepStart != nil {
		r.StepStart = *st.StepStart
		r.LastCall = !r.MoreSteps && !now.Before(r.StepStart.Add(2*s.cfg.StepInterval))
	}
	return r
}

// sameStep reports whether a and b are the same step of the same release.
func sameStep(a, b gates.Release) bool {
	return a.Revision == b.Revision && a.Step == b.Step && a.StepStart.Equal(b.StepStart)
}
