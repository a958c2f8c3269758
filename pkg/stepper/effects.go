package stepper

import (
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// minRequeue is the shortest Requeue during a release, so that a zero check
// interval never means "only on the next change".
const minRequeue = time.Second

// actions derives what the controller must make true from the decided
// status. A paused canary gets the actions of the phase it was paused in,
// without requeue.
func (m *machine) actions() Actions {
	a := Actions{Route: true, Events: m.events, Requeue: m.requeue(), ScalePrimary: m.scalePrimary, RepairPrimary: m.repair}
	if w := m.hookWait(); w > 0 && (a.Requeue == 0 || w < a.Requeue) {
		a.Requeue = w
	}
	switch effectivePhase(m.s) {
	case PhaseInitializing:
		a.Route = m.primaryServes() && m.o.SubsetsReady && m.o.SubsetAge >= SubsetLead
		a.PrimaryRevision = m.primaryTarget(m.s.StableRevision)
	case PhaseReady, PhaseSucceeded, PhaseFailed:
		if m.cfg.ScaleDownCanary && m.scaleDownDue() {
			a.Canary = ScaleDown
		}
	case PhaseProgressing:
		a.Canary = ScaleUp
		a.CanaryRevision = m.canaryTarget()
	case PhasePromoting:
		a.Canary = ScaleUp
		if swapping(m.cfg) {
			a.CanaryRevision = m.canaryTarget()
			break
		}
		a.PrimaryRevision = m.primaryTarget(m.s.Revision)
	}
	return a
}

// primaryTarget returns rev when the controller can give it to the primary
// by copying the user's template, that is when the template is rev; else "".
func (m *machine) primaryTarget(rev string) string {
	if rev != m.o.Revision {
		return ""
	}
	return rev
}

// canaryTarget is, promoted by role swap, the revision the canary's slot
// should run: the release's, at step 0 only, whose weight 0 the routes
// carry before the template is copied, and after a supersede under weight
// not before the scale-down delay is over (supersededUnderWeight); else "".
func (m *machine) canaryTarget() string {
	if !swapping(m.cfg) || m.s.Step != 0 || m.s.Weight != 0 || m.s.Mirroring || m.draining() {
		return ""
	}
	return m.primaryTarget(m.s.Revision)
}

// requeue is the time until the next thing due: the end of the step, the
// progress or hold deadline, or the next check (at most the check
// interval); for a draining canary, the end of the scale-down delay. Idle
// and paused canaries otherwise wait for a change.
func (m *machine) requeue() time.Duration {
	s := m.s
	if m.draining() {
		return m.until(m.drainEnd())
	}
	if m.s.TrafficLeftAt != nil && idlePhase(effectivePhase(s)) && !m.scaleDownDue() && m.cfg.ScaleDownCanary {
		return minRequeue // the route without the canary's weight is not seen yet
	}
	canaryDue, _ := m.waitDue(m.canaryRollout())
	primaryDue, _ := m.waitDue(m.primaryRollout())
	switch {
	case s.Phase == PhaseProgressing && s.Step == 0 && !s.Mirroring:
		return m.soonest(canaryDue, m.subsetDue())
	case s.Phase == PhaseInitializing:
		return m.soonest(primaryDue, m.subsetDue())
	case s.Phase == PhasePromoting && swapping(m.cfg):
		return m.soonest(canaryDue)
	case s.Phase == PhasePromoting:
		return m.soonest(primaryDue)
	case s.Phase == PhaseProgressing:
		return m.soonest(m.stepEnd(), timeOf(s.HoldSince).Add(m.cfg.MaxHold))
	case s.Phase == PhaseRollingBack:
		return m.soonest()
	}
	return 0
}

// soonest returns the time until the earliest of the check interval (never
// less than minRequeue) and the times still ahead in dues. A due time ahead
// is waited for exactly, however close: a look that comes a few
// milliseconds early (a timer left from an earlier decision, or an event)
// must not push the end of a step back by minRequeue.
func (m *machine) soonest(dues ...time.Time) time.Duration {
	d := max(m.cfg.CheckInterval, minRequeue)
	for _, t := range dues {
		if wait := t.Sub(m.now); wait > 0 && wait < d {
			d = wait
		}
	}
	return d
}

// until returns the time until t when t is ahead, exactly, else minRequeue.
func (m *machine) until(t time.Time) time.Duration {
	if wait := t.Sub(m.now); wait > 0 {
		return wait
	}
	return minRequeue
}

// stepEnd is when the current step's bake time (or the mirroring) is over.
func (m *machine) stepEnd() time.Time {
	return stepEnd(m.cfg, m.s)
}

// stepEnd is when the bake time of s's step, or its mirroring, is over.
func stepEnd(cfg config.Config, s Status) time.Time {
	if s.Mirroring {
		return timeOf(s.StepStart).Add(cfg.MirrorDuration)
	}
	return timeOf(s.StepStart).Add(cfg.StepInterval)
}
