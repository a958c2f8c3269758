package stepper

import (
	"fmt"
	"strings"
)

// A step's bake time counts from the moment every VirtualService the
// release is split in carries the step's weight. The decision that sets the
// weight is written with the home VirtualService's routes, and the other
// VirtualServices are written right after it in the same reconcile, so the
// step normally starts at that decision (Status.StepStart), at no write of
// its own. Only a decision that finds the weight missing from some of them
// (a crash, a conflict or an error between those writes) records the lag
// in the status, and the first decision that sees the weight on all of
// them starts the step again: two status-only writes, after a lost write
// only.

// MaxLagRestarts is how often a step may start again after a lag before a
// further lag at the same step rolls the release back: a VirtualService
// whose weights keep being taken away (a GitOps sync or another controller
// rewriting it) would otherwise restart the step for ever, with its
// traffic flapping between the canary's weight and none.
const MaxLagRestarts = 3

// trackLag records that the step's weight lags on some VirtualService,
// once, with a Warning Event naming them, and starts the step again at the
// first decision after a lag that sees the weight on every one (see
// Status.WeightLagSince). A lag after MaxLagRestarts restarts of the step
// rolls back; it reports whether it did.
func (m *machine) trackLag() bool {
	s := &m.s
	switch {
	case s.Step == 0:
	case s.WeightLagSince == nil && len(m.o.Lagging) > 0 && s.LagRestarts >= MaxLagRestarts:
		m.rollBack(ReasonWeightsOverwritten, fmt.Sprintf("%s: canary weight %s is missing from %s again after the step started over %d times; "+
			"something keeps rewriting its routes (a GitOps sync or another controller?)",
			m.position(), m.weight(), strings.Join(m.o.Lagging, ", "), s.LagRestarts))
		return true
	case s.WeightLagSince == nil && len(m.o.Lagging) > 0:
		s.WeightLagSince = m.stamp()
		m.transition(true, ReasonWeightLagging, fmt.Sprintf("%s: %s does not carry canary weight %s (a write was lost, or someone rewrote it); "+
			"the step's bake time starts again once every VirtualService does",
			m.position(), strings.Join(m.o.Lagging, ", "), m.weight()))
	case s.WeightLagSince != nil && m.applied():
		s.StepStart, s.HoldSince, s.WeightLagSince = m.stamp(), nil, nil
		s.LagRestarts++
		m.transition(false, ReasonStepRestarted, fmt.Sprintf("%s starts again (%d of %d restarts): every VirtualService carries canary weight %s",
			m.position(), s.LagRestarts, MaxLagRestarts, m.weight()))
	}
	return false
}

// keepLag keeps Status.WeightLagSince and LagRestarts only while the
// release stays at the step they were counted at, paused or not.
func (m *machine) keepLag(prev Status) {
	if effectivePhase(m.s) != PhaseProgressing || m.s.Step != prev.Step {
		m.s.WeightLagSince, m.s.LagRestarts = nil, 0
	}
}
