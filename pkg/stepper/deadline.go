package stepper

import (
	"fmt"
	"time"
)

// MaxWaitFactor bounds every wait for a Deployment (the canary at step 0,
// the primary while Initializing or Promoting): whatever progress the
// Deployment controller reports, the wait misses its deadline
// MaxWaitFactor × the progress deadline after the step's start, so that a
// stuck kube-controller-manager (one that never observes the scale-up) or
// a canary whose readiness keeps flapping cannot hold a release forever.
const MaxWaitFactor = 3

// rollout is what the Deployment controller reported about a Deployment a
// release waits for (see Observations.CanaryUnobserved and the fields
// after it).
type rollout struct {
	unobserved bool
	progressAt time.Time
	timedOutAt time.Time
}

// canaryRollout and primaryRollout are the reports for the canary and the
// primary.
func (m *machine) canaryRollout() rollout {
	return rollout{m.o.CanaryUnobserved, m.o.CanaryProgressAt, m.o.CanaryTimedOutAt}
}

func (m *machine) primaryRollout() rollout {
	return rollout{m.o.PrimaryUnobserved, m.o.PrimaryProgressAt, m.o.PrimaryTimedOutAt}
}

// waitDue is when the wait for a Deployment reported as r misses the
// progress deadline: the deadline after the later of the step's start and
// the last progress the Deployment controller reported, as Kubernetes' own
// progressDeadlineSeconds counts; never while the Deployment controller has
// not observed the Deployment's latest spec (a busy kube-controller-manager
// slow to act on the scale-up does not fail a canary that has not had its
// chance yet); now when the Deployment controller reported the Deployment's
// own deadline exceeded since the step began; and at the latest
// MaxWaitFactor deadlines after the step's start (capped).
func (m *machine) waitDue(r rollout) (due time.Time, capped bool) {
	start := timeOf(m.s.StepStart)
	bound := start.Add(MaxWaitFactor * m.cfg.ProgressDeadline)
	switch {
	case r.unobserved:
		return bound, true
	case m.timedOut(r):
		return m.now, false
	}
	since := start
	if r.progressAt.After(since) {
		since = r.progressAt
	}
	if due = since.Add(m.cfg.ProgressDeadline); due.After(bound) {
		return bound, true
	}
	return due, false
}

// waitMissed reports whether the wait for a Deployment reported as r
// missed its deadline, and if so how, as a phrase that follows "not ready"
// or "not available" in messages.
func (m *machine) waitMissed(r rollout) (string, bool) {
	due, capped := m.waitDue(r)
	switch {
	case m.now.Before(due):
		return "", false
	case capped:
		return fmt.Sprintf("within %s of the step's start (%d × the progress deadline)",
			MaxWaitFactor*m.cfg.ProgressDeadline, MaxWaitFactor), true
	case m.timedOut(r):
		return "by its own progressDeadlineSeconds (the Deployment controller reports ProgressDeadlineExceeded)", true
	}
	return fmt.Sprintf("within %s of its last progress", m.cfg.ProgressDeadline), true
}

// timedOut reports whether the Deployment controller reported the
// Deployment's own deadline exceeded since the step began: a report from
// before (a retried canary that had timed out) is not about this wait.
func (m *machine) timedOut(r rollout) bool {
	return !r.timedOutAt.IsZero() && !r.timedOutAt.Before(timeOf(m.s.StepStart))
}
