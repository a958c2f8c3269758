package stepper

import (
	"fmt"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// adopt starts managing a Deployment that has no status yet.
func (m *machine) adopt() {
	s := &m.s
	s.Phase = PhaseInitializing
	s.StableRevision = m.adoptedRevision()
	s.Revision = s.StableRevision
	s.Step, s.Steps, s.Weight, s.Total = 0, len(m.cfg.Steps), 0, m.cfg.Total
	s.StepStart = m.stamp()
	if swapping(m.cfg) {
		s.PrimarySlot = m.o.PrimarySlot
		if s.PrimarySlot == "" {
			s.PrimarySlot = config.SlotA
		}
	}
	m.transition(false, ReasonInitializing, fmt.Sprintf(
		"adopting revision %s: primary %s must become available before traffic moves", s.StableRevision, m.cfg.PrimaryName))
}

// adoptedRevision is the revision adoption makes stable: the existing
// primary's (so that a lost status never promotes an unreleased template),
// else the user's current template.
func (m *machine) adoptedRevision() string {
	if m.o.PrimaryExists && m.o.PrimaryRevision != "" {
		return m.o.PrimaryRevision
	}
	return m.o.Revision
}

// primaryServes reports whether the primary is available at the stable
// revision.
func (m *machine) primaryServes() bool {
	return m.o.PrimaryAvailable && m.o.PrimaryRevision == m.s.StableRevision
}

// initializing waits for the primary, routes all traffic to it once it and
// the subsets are ready, and becomes Ready once the route holds.
func (m *machine) initializing() {
	s := &m.s
	s.StableRevision = m.adoptedRevision()
	s.Revision = s.StableRevision
	if !m.primaryServes() {
		m.primaryDeadline(fmt.Sprintf("primary %s is not available at revision %s", m.cfg.PrimaryName, s.StableRevision))
		return
	}
	if !m.o.SubsetsReady || !m.applied() {
		return
	}
	s.Phase = PhaseReady
	m.transition(false, ReasonReady, fmt.Sprintf("primary %s serves 100%% of traffic at revision %s",
		m.cfg.PrimaryName, s.StableRevision))
}

// primaryDeadline records, once, that the wait for the primary missed the
// progress deadline (waitDue, as the canary's); what says what is awaited.
// Traffic stays where it is: there is nothing safer to route to.
func (m *machine) primaryDeadline(what string) {
	if m.s.Reason == ReasonProgressDeadlineExceeded {
		return
	}
	if how, missed := m.waitMissed(m.primaryRollout()); missed {
		m.transition(true, ReasonProgressDeadlineExceeded, fmt.Sprintf("%s %s; still waiting", what, how))
	}
}

// idle starts a release when the user's template is a revision that is
// neither stable nor the one that just failed, and the primary is not
// being repaired. Promoted by role swap, the release also waits for the
// end of the scale-down delay: its canary's slot is the one the last
// release took traffic from (the former primary after a swap, the canary
// after a rollback), and a new template would roll its pods over while
// Envoy proxies that have not seen that route yet still send it requests.
func (m *machine) idle() {
	if m.repair != nil || m.o.Revision == m.s.StableRevision || (m.s.Phase == PhaseFailed && m.o.Revision == m.s.Revision) {
		return
	}
	if swapping(m.cfg) && m.draining() {
		return // requeued for the end of the delay
	}
	m.start(fmt.Sprintf("releasing revision %s in %d steps: scaling up the canary", m.o.Revision, len(m.cfg.Steps)))
}

// start begins a release of the user's current revision at step 0.
func (m *machine) start(message string) {
	m.begin()
	m.clearPause()
	m.s.Phase = PhaseProgressing
	m.transition(false, ReasonReleaseStarted, message)
}

// begin resets the release fields for the user's current revision at step
// 0, weight 0. It leaves the phase to the caller.
func (m *machine) begin() {
	s := &m.s
	s.Revision, s.CanaryHash = m.o.Revision, m.o.CanaryHash
	s.Step, s.Steps, s.Weight, s.Total = 0, len(m.cfg.Steps), 0, m.cfg.Total
	s.ReleaseStart, s.StepStart, s.HoldSince, s.Mirroring = m.stamp(), m.stamp(), nil, false
	s.FailedChecks, s.Verdicts = 0, nil
	s.AwaitingApproval, s.Approved = nil, false
	m.forgetHooks()
}
