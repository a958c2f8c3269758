package stepper

import (
	"fmt"
	"strings"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// swapping reports whether releases of cfg are promoted by role swap: the
// canary runs in the slot that is not the primary's, and promotion makes
// it the primary.
func swapping(cfg config.Config) bool {
	return cfg.Promotion == config.PromotionSwap
}

// swap promotes a release by role swap, in the decision that passed its
// last step: the canary's slot, available at the released revision with
// at least the primary's replicas (canaryWaits), becomes the primary and
// takes all traffic, and the release is Succeeded — the routes, the new
// primary slot and the status are one VirtualService write, so there is
// no promotion phase to order, resume or fail. The former primary's slot
// is the canary's now: it drains for the scale-down delay, then goes to
// 0 replicas (trafficLeft), and the next release rolls the new revision
// out in it.
func (m *machine) swap() {
	s := &m.s
	m.clearPause()
	from, to := s.PrimarySlot, s.PrimarySlot.Other()
	s.PrimarySlot, s.StableRevision, s.Weight = to, s.Revision, 0
	m.swapped = true
	s.Phase = PhaseSucceeded
	s.StepStart, s.HoldSince, s.AwaitingApproval = m.stamp(), nil, nil
	m.trafficLeft()
	m.transition(false, ReasonPromoted, fmt.Sprintf(
		"revision %s promoted by role swap: slot %s, which ran the canary, is the primary and takes 100%% of traffic; slot %s, the former primary, is idled",
		s.Revision, to, from))
	m.queueHook(HookPostPromotion)
}

// awaitSwap waits, in Promoting, for the canary's slot to be ready to take
// the primary's place (a promote command came before it was), then swaps.
// Nothing is irreversible before the swap, so a canary that misses its
// progress deadline rolls back, as at step 0.
func (m *machine) awaitSwap() {
	waits := m.canaryWaits()
	if len(waits) == 0 {
		m.swap()
		return
	}
	if how, missed := m.waitMissed(m.canaryRollout()); missed {
		m.rollBack(ReasonProgressDeadlineExceeded, fmt.Sprintf("revision %s not ready to take the primary's place %s: %s",
			m.s.Revision, how, strings.Join(waits, ", ")))
	}
}

// UserReplicas returns the replica count the user's Deployment should have
// after a decision, or nil to leave it alone. With config.PromotionRollout
// the user's Deployment runs the canary ([CanaryReplicas]). With
// config.PromotionSwap it only holds the template: it runs nothing once
// adopted, and a count the user gives it while idle has gone to the primary
// slot first (Actions.ScalePrimary).
func UserReplicas(cfg config.Config, s Status, act Actions, o Observations) *int32 {
	if !swapping(cfg) {
		return CanaryReplicas(cfg, s, act, o)
	}
	if o.UserReplicas == 0 || !idlePhase(effectivePhase(s)) {
		return nil
	}
	zero := int32(0)
	return &zero
}
