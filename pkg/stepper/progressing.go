package stepper

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
)

// progressing waits for the canary at step 0 and bakes steps 1..n.
func (m *machine) progressing() {
	switch {
	case m.o.Revision != m.s.Revision:
		m.replaced()
	case m.s.Step == 0 && !m.s.Mirroring:
		m.awaitCanary()
	default:
		m.bake()
	}
}

// awaitCanary moves to step 1 once the canary is available, its subset is
// in the DestinationRule and weight 0 is applied; past the progress
// deadline (waitDue) it rolls back.
func (m *machine) awaitCanary() {
	if m.o.CanaryHash != "" {
		m.s.CanaryHash = m.o.CanaryHash
	}
	waits := m.canaryWaits()
	if len(waits) == 0 {
		if m.cfg.MirrorDuration > 0 {
			m.s.Mirroring, m.s.StepStart, m.s.HoldSince = true, m.stamp(), nil
			m.transition(false, ReasonMirroring, fmt.Sprintf("revision %s available: mirroring traffic to it for %s before step 1",
				m.s.Revision, m.cfg.MirrorDuration))
			return
		}
		m.advance()
		return
	}
	if how, missed := m.waitMissed(m.canaryRollout()); missed {
		m.rollBack(ReasonProgressDeadlineExceeded, fmt.Sprintf("revision %s not ready %s: %s",
			m.s.Revision, how, strings.Join(waits, ", ")))
	}
}

// canaryWaits lists what keeps the canary from taking traffic.
func (m *machine) canaryWaits() []string {
	var waits []string
	if !m.o.CanaryAvailable {
		waits = append(waits, "canary not available")
	}
	if swapping(m.cfg) && m.o.PrimaryReplicas != nil && m.o.CanaryReplicas < *m.o.PrimaryReplicas {
		waits = append(waits, fmt.Sprintf("canary slot runs %d of the primary's %d replicas", m.o.CanaryReplicas, *m.o.PrimaryReplicas))
	}
	switch {
	case m.o.CanaryHash == "" && !swapping(m.cfg):
		waits = append(waits, "canary pod-template-hash not known")
	case !m.o.SubsetsReady:
		waits = append(waits, "canary subset not in the DestinationRule")
	case m.o.SubsetAge < SubsetLead && m.o.AppliedWeight == 0:
		// Only the first route naming the subset waits for the lead: once
		// a route gives the canary weight, Envoy has its cluster, however
		// recently this process (a restarted one) first saw the subset.
		waits = append(waits, fmt.Sprintf("canary subset in the DestinationRule for less than %s", SubsetLead))
	}
	if want := m.canaryDesired(); m.o.CanaryAvailable && m.o.AppliedWeight == 0 && m.o.CanaryEndpoints < want {
		// Make before break for the endpoints, as SubsetLead is for the
		// subset: the EndpointSlice controller publishes the canary's
		// pods after the Deployment controller reports them available,
		// and istiod pushes only what it publishes. Once a route gives
		// the canary weight, Envoy has them: later steps do not hold on
		// endpoint churn.
		waits = append(waits, fmt.Sprintf("canary's pods not yet ready endpoints of the Service (%d of %d)", m.o.CanaryEndpoints, want))
	}
	if !m.applied() {
		waits = append(waits, fmt.Sprintf("canary weight %s not applied", m.weight()))
	}
	return waits
}

// canaryDesired is the canary's desired replica count: the canary slot's
// with config.PromotionSwap, else the user's Deployment's.
func (m *machine) canaryDesired() int32 {
	if swapping(m.cfg) {
		return m.o.CanaryReplicas
	}
	return m.o.UserReplicas
}

// bake judges a step: failed checks count (and roll back at the maximum);
// once the bake time is over a passing evaluation advances, anything else
// holds, and a hold longer than the maximum rolls back. A release awaiting
// approval only counts failed checks.
func (m *machine) bake() {
	if m.trackLag() {
		return
	}
	if m.o.Verdicts != nil && m.check() {
		return
	}
	if m.now.Before(m.stepEnd()) || m.s.AwaitingApproval != nil {
		return
	}
	if m.o.Verdicts != nil {
		result := gates.Combine(m.o.Verdicts)
		waits := m.canaryWaits()
		switch {
		case result == gates.Pass && len(waits) == 0:
			m.advance()
			return
		case result != gates.Fail && m.s.HoldSince == nil:
			m.s.HoldSince = m.stamp()
			m.transition(false, ReasonHolding, fmt.Sprintf("%s is over its bake time but cannot advance: %s; rolls back after %s",
				m.position(), strings.Join(append(waits, describe(m.o.Verdicts, gates.Hold)...), "; "), m.cfg.MaxHold))
		}
	}
	if m.s.HoldSince != nil && !m.now.Before(m.s.HoldSince.Add(m.cfg.MaxHold)) {
		m.rollBack(ReasonHoldTimeout, fmt.Sprintf("%s held for %s past its bake time: %s",
			m.position(), m.cfg.MaxHold, strings.Join(append(m.canaryWaits(), describe(m.s.Verdicts, gates.Hold)...), "; ")))
	}
}

// check records the verdicts of an evaluation and counts a failure; it
// reports whether the release rolled back.
func (m *machine) check() bool {
	m.s.Verdicts = nil
	if len(m.o.Verdicts) > 0 {
		m.s.Verdicts = slices.Clone(m.o.Verdicts)
	}
	if gates.Combine(m.o.Verdicts) != gates.Fail {
		return false
	}
	m.s.FailedChecks++
	failed := strings.Join(describe(m.o.Verdicts, gates.Fail), "; ")
	m.transition(true, ReasonCheckFailed, fmt.Sprintf("failed check %d (rollback at %d) at %s: %s",
		m.s.FailedChecks, m.cfg.MaxFailedChecks, m.position(), failed))
	if m.s.FailedChecks < m.cfg.MaxFailedChecks {
		return false
	}
	m.rollBack(ReasonTooManyFailedChecks, fmt.Sprintf("%d failed checks (maximum %d) at %s: %s",
		m.s.FailedChecks, m.cfg.MaxFailedChecks, m.position(), failed))
	return true
}

// advance moves to the next step's weight, or to promotion after the last
// step, unless the move awaits approval (see awaitApproval) or, before
// step 1, the pre-release hook (see preReleaseDone). The weights come from the current configuration, so an edit of the
// steps takes effect at the next advance.
func (m *machine) advance() {
	s := &m.s
	next := s.Step + 1
	if m.approvalDue(next) {
		m.awaitApproval(next)
		return
	}
	if next == 1 && !m.preReleaseDone() {
		return
	}
	if next > len(m.cfg.Steps) {
		m.promote(fmt.Sprintf("all %d steps passed: promoting revision %s", s.Steps, s.Revision))
		return
	}
	s.Step, s.Steps, s.Weight, s.Total = next, len(m.cfg.Steps), m.cfg.Steps[next-1], m.cfg.Total
	s.StepStart, s.HoldSince, s.Mirroring = m.stamp(), nil, false
	m.transition(false, ReasonStepAdvanced, fmt.Sprintf("%s: canary weight %s", m.position(), m.weight()))
}

// replaced handles a user template that is no longer the released
// revision. During promotion, a primary that already got the released
// template makes it stable (the copy cannot be undone: the user's template
// is no longer there to copy back). A template equal to the stable revision
// rolls back without promotion (Reverted, ending Succeeded); any other
// supersedes the release, which restarts at step 0 with weight 0 (paused
// releases stay paused).
func (m *machine) replaced() {
	s := &m.s
	if s.Phase == PhasePromoting && m.o.PrimaryRevision == s.Revision {
		s.StableRevision = s.Revision
	}
	old, at := s.Revision, m.position()
	if m.o.Revision == s.StableRevision {
		s.Revision = s.StableRevision
		m.rollBack(ReasonReverted, fmt.Sprintf("template reverted from %s to stable revision %s at %s: traffic returns to the primary",
			old, s.StableRevision, at))
		return
	}
	underWeight := s.Weight > 0
	m.begin()
	if s.Phase != PhasePaused {
		s.Phase = PhaseProgressing
	}
	if underWeight {
		m.supersededUnderWeight()
	}
	s.Superseded++
	m.transition(false, ReasonSuperseded, fmt.Sprintf("revision %s superseded by %s at %s: restarting at step 0",
		old, s.Revision, at))
}

// position names where the canary is, for messages: "step 2/5" while
// progressing, else the phase.
func (m *machine) position() string {
	if effectivePhase(m.s) == PhaseProgressing {
		if m.s.Mirroring {
			return fmt.Sprintf("mirroring before step 1/%d", m.s.Steps)
		}
		return fmt.Sprintf("step %d/%d", m.s.Step, m.s.Steps)
	}
	return string(effectivePhase(m.s))
}

// weight formats the status's weight as an exact percentage.
func (m *machine) weight() string {
	return config.FormatWeight(m.s.Weight, m.s.Total)
}

// describe lists the verdicts with result r: gate, value, threshold, reason.
func describe(vs []gates.Verdict, r gates.Result) []string {
	var out []string
	for _, v := range vs {
		if v.Result != r {
			continue
		}
		d := v.Gate
		if v.Value != nil {
			d += fmt.Sprintf(" value %g", *v.Value)
		}
		if v.Threshold != nil {
			d += fmt.Sprintf(" threshold %g", *v.Threshold)
		}
		if v.Reason != "" {
			d += ": " + v.Reason
		}
		out = append(out, d)
	}
	return out
}

// SubsetLead is how long the canary subset must have been in the
// DestinationRule before a route gives the canary weight (or mirrors to
// it), and the primary subset before the first route names it at
// adoption: ten times istiod's default push debounce (PILOT_DEBOUNCE_AFTER,
// 100 ms) and three times the slowest push of a change measured against
// the real istiod (310 ms), so that the subset and the first route naming
// it reach Envoy in separate pushes (make before break; in one push Envoy
// can answer 503 NC while the new cluster's endpoints are on their way).
const SubsetLead = time.Second

// subsetDue is when the subsets will be SubsetLead old; the zero time when
// they are already, or are not in the DestinationRule yet (its event brings
// the next decision).
func (m *machine) subsetDue() time.Time {
	if !m.o.SubsetsReady || m.o.SubsetAge >= SubsetLead {
		return time.Time{}
	}
	return m.now.Add(SubsetLead - m.o.SubsetAge)
}
