package stepper

import "fmt"

// promote enters Promoting: the primary is to run the released revision.
// The weight stays until the primary has rolled it out. Promoted by role
// swap, a canary ready to take the primary's place swaps at once (the end
// of the last step); one that is not (a promote command before it is)
// enters Promoting to wait for it (see awaitSwap).
func (m *machine) promote(message string) {
	if swapping(m.cfg) && len(m.canaryWaits()) == 0 {
		m.swap()
		return
	}
	m.clearPause()
	m.s.Phase = PhasePromoting
	m.s.StepStart, m.s.HoldSince, m.s.AwaitingApproval = m.stamp(), nil, nil
	m.transition(false, ReasonPromoting, message)
}

// resumeInterruptedPromotion recognises a promotion the status does not
// show: the primary already runs the release's revision, which is not the
// stable one (a controller that copied the template before it saved
// Promoting, or one that lost the status). The copy cannot be undone — the
// stable template is nowhere to be copied back from — so rolling back or
// failing would leave the revision serving everything while the status
// says otherwise. Whatever the phase says, the release goes on as Promoting,
// with a Warning: the weight stays until the primary has rolled it out.
func (m *machine) resumeInterruptedPromotion() {
	s := &m.s
	if swapping(m.cfg) || !m.o.PrimaryExists || m.o.PrimaryRevision == "" || m.o.PrimaryRevision != s.Revision || s.Revision == s.StableRevision {
		return
	}
	switch effectivePhase(*s) {
	case PhaseProgressing, PhaseRollingBack, PhaseFailed:
	default:
		return
	}
	from := s.Phase
	m.clearPause()
	s.Phase = PhasePromoting
	s.StepStart, s.HoldSince, s.Mirroring = m.stamp(), nil, false
	m.transition(true, ReasonPromotionResumed, fmt.Sprintf(
		"primary %s already runs revision %s although the release is %s (an interrupted promotion): the copy cannot be undone, so the promotion is completed",
		m.cfg.PrimaryName, s.Revision, from))
}

// promoting waits for the primary to roll out the released revision, then
// routes all traffic to it and records success in the same decision: the
// status and the routes are one write, so Succeeded is persisted with the
// weight 0 it implies, never before (see trafficLeft for the scale-down that
// follows). Past the progress deadline (waitDue) it warns once and keeps
// waiting: the
// primary already has the new template, so there is nothing to roll back to.
func (m *machine) promoting() {
	s := &m.s
	if m.o.Revision != s.Revision {
		m.replaced()
		return
	}
	if swapping(m.cfg) {
		m.awaitSwap()
		return
	}
	if s.StableRevision != s.Revision {
		if !m.o.PrimaryAvailable || m.o.PrimaryRevision != s.Revision {
			m.primaryDeadline(fmt.Sprintf("primary %s has not rolled out revision %s", m.cfg.PrimaryName, s.Revision))
			return
		}
		s.StableRevision, s.Weight = s.Revision, 0
		m.transition(false, ReasonPrimaryUpdated, fmt.Sprintf("primary %s runs revision %s: routing 100%% of traffic to it",
			m.cfg.PrimaryName, s.Revision))
	}
	s.Phase = PhaseSucceeded
	m.trafficLeft()
	m.transition(false, ReasonPromoted, fmt.Sprintf("revision %s promoted", s.Revision))
	m.queueHook(HookPostPromotion)
}

// rollBack enters RollingBack with weight 0, so the one VirtualService write
// that follows returns all traffic to the primary. A revert is not a
// failure and is recorded as a Normal event.
func (m *machine) rollBack(reason, message string) {
	m.clearPause()
	m.s.Phase = PhaseRollingBack
	m.s.Weight, m.s.HoldSince, m.s.Mirroring, m.s.AwaitingApproval = 0, nil, false, nil
	m.dropPreRelease()
	m.transition(reason != ReasonReverted, reason, message)
}

// rollingBack idles the canary once weight 0 is applied, ending Failed with
// the rollback's reason and message kept (Succeeded after a revert, whose
// revision is the stable one).
func (m *machine) rollingBack() {
	s := &m.s
	if !m.applied() {
		return
	}
	s.Phase = PhaseFailed
	if s.Revision == s.StableRevision {
		s.Phase = PhaseSucceeded
	}
	s.TransitionTime = m.now
	m.trafficLeft()
	m.emit(s.Phase == PhaseFailed, ReasonRolledBack, s.Message)
	m.queueHook(HookPostRollback)
}
