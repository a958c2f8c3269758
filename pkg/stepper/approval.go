package stepper

import (
	"fmt"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// approvalDue reports whether moving to step next (len(Steps)+1 for
// promotion) must wait for an operator's promote command first.
func (m *machine) approvalDue(next int) bool {
	switch m.cfg.Approval {
	case config.ApprovalBeforeFirstStep:
		return next == 1 && !m.s.Approved
	case config.ApprovalBeforePromotion:
		return next > len(m.cfg.Steps)
	}
	return false
}

// awaitApproval holds the release where it is until a promote command. The
// wait has no deadline: it clears the hold, so MaxHold does not cut it.
// Failed checks still count and roll back while it waits.
func (m *machine) awaitApproval(next int) {
	if m.s.AwaitingApproval != nil {
		return
	}
	m.s.AwaitingApproval, m.s.HoldSince = m.stamp(), nil
	what := fmt.Sprintf("step 1 (canary weight %s)", config.FormatWeight(m.cfg.Steps[0], m.cfg.Total))
	if next > len(m.cfg.Steps) {
		what = "promotion"
	}
	m.transition(false, ReasonAwaitingApproval, fmt.Sprintf(
		"%s: revision %s awaits approval before %s (%s%s: %s); approve with the promote command (annotation %s)",
		m.position(), m.s.Revision, what, config.Prefix, config.KeyApproval, m.cfg.Approval, config.CommandAnnotation))
}

// approve acts on a promote command given while the release waits for
// approval before its first step: step 1 follows as soon as the canary is
// ready (with the full progress deadline from now), or once the mirroring
// passes its checks.
func (m *machine) approve() {
	m.s.AwaitingApproval, m.s.Approved = nil, true
	if !m.s.Mirroring {
		m.s.StepStart = m.stamp() // the progress deadline of step 0 starts again
	}
	m.transition(false, ReasonApproved, fmt.Sprintf("promote command approved revision %s: step 1 follows once the canary is ready",
		m.s.Revision))
}

// awaitingFirstStep reports whether the release waits for approval before
// its first step.
func (m *machine) awaitingFirstStep() bool {
	return m.s.AwaitingApproval != nil && m.s.Step == 0
}
