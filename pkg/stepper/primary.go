package stepper

import "fmt"

// ReplicaBounds are the replica bounds of a HorizontalPodAutoscaler.
type ReplicaBounds struct {
	Min, Max int32
}

// clamp returns n within b.
func (b ReplicaBounds) clamp(n int32) int32 {
	return max(b.Min, min(n, b.Max))
}

// PrimaryRepair is how a deleted or emptied primary is recreated.
type PrimaryRepair struct {
	// Revision is the stable revision, whose template the primary gets
	// (from the user's Deployment or its ReplicaSets when the primary is
	// gone).
	Revision string
	// Replicas is the count the primary had.
	Replicas int32
}

// idlePhase reports whether p is a phase without a release.
func idlePhase(p Phase) bool {
	return p == PhaseReady || p == PhaseSucceeded || p == PhaseFailed
}

// watchPrimary looks after the primary while no release runs (also while
// paused there). A primary found deleted or scaled to 0 is repaired from
// the stable revision at the count it had, with a Warning once per
// outage; its return to service is recorded. A count the user gave their
// own Deployment is moved to the primary (see scaledWhileIdle). It runs on the persisted status,
// before any command or phase decision.
func (m *machine) watchPrimary() {
	s := &m.s
	if !idlePhase(effectivePhase(*s)) {
		return
	}
	if damage := m.primaryDamage(); damage != "" {
		repair := &PrimaryRepair{Revision: s.StableRevision, Replicas: m.repairReplicas()}
		m.repair = repair
		if s.Reason != ReasonPrimaryMissing {
			m.transition(true, ReasonPrimaryMissing, fmt.Sprintf(
				"primary %s %s: the primary subset, which holds all traffic, has no pod; recreating it at stable revision %s with %d replicas",
				m.cfg.PrimaryName, damage, repair.Revision, repair.Replicas))
		}
		return
	}
	if s.Reason == ReasonPrimaryMissing && m.primaryServes() {
		m.transition(false, ReasonPrimaryRestored, fmt.Sprintf("primary %s is available again at revision %s",
			m.cfg.PrimaryName, s.StableRevision))
	}
	m.scaledWhileIdle()
}

// primaryDamage says what makes the primary unable to serve, "" when
// nothing: it is gone, or it wants 0 replicas.
func (m *machine) primaryDamage() string {
	switch {
	case !m.o.PrimaryExists:
		return "was deleted"
	case m.o.PrimaryReplicas != nil && *m.o.PrimaryReplicas == 0:
		return "was scaled to 0 replicas"
	}
	return ""
}

// repairReplicas is the count a repaired primary gets: the count it had
// (1 when never seen), within the bounds of the user's HPA.
func (m *machine) repairReplicas() int32 {
	n := max(m.s.PrimaryReplicas, 1)
	if m.o.HPA != nil {
		n = m.o.HPA.clamp(n)
	}
	return n
}

// scaledWhileIdle handles the replica counts of an idle canary. The user's
// Deployment is held at 0 while idle (scale-down on), so a count above 0
// there is the user's: kubectl scale on the Deployment they know. It is
// moved to the primary, which serves the traffic, and the user's
// Deployment goes back to 0. With an HPA the twin decides the primary's
// count, so the scale is only reported. A canary after a release still
// has its own replicas until it is scaled down: they are not the user's
// (see canaryHasReplicas). A scale by the user ends the record of the
// release's end, written with the status that is due anyway. Promoted by
// role swap, the user's Deployment never runs the canary (its slot does),
// so a count on it while idle is always the user's.
func (m *machine) scaledWhileIdle() {
	s := &m.s
	if m.o.UserReplicas > 0 && (swapping(m.cfg) || m.cfg.ScaleDownCanary && !m.canaryHasReplicas()) {
		m.forgetDrain()
		if m.o.HPA != nil {
			m.emit(true, ReasonScaleIgnored, fmt.Sprintf(
				"Deployment scaled to %d replicas while idle: an HPA scales it, and its twin scales primary %s; change the HPA instead. Scaling the Deployment back to 0",
				m.o.UserReplicas, m.cfg.PrimaryName))
			return
		}
		s.PrimaryReplicas = m.o.UserReplicas
		if m.o.PrimaryReplicas == nil || *m.o.PrimaryReplicas != m.o.UserReplicas {
			m.scalePrimary = m.o.UserReplicas
		}
		m.emit(false, ReasonPrimaryScaled, fmt.Sprintf(
			"Deployment scaled to %d replicas while idle: primary %s, which serves the traffic, now runs %d; the Deployment goes back to 0",
			m.o.UserReplicas, m.cfg.PrimaryName, m.o.UserReplicas))
	}
}

// rememberPrimary keeps the count of a whole primary in the status once the
// decision leaves the canary idle (also at the end of adoption or of a
// release), so that a repair knows it. It is not kept while an HPA twin
// scales the primary (that would write the status at every move of the
// HPA), nor while a repair or a move of the user's scale is under way.
// After a promotion by role swap, the count is the canary slot's, which is
// the primary now.
func (m *machine) rememberPrimary() {
	o := m.o
	if m.swapped {
		m.s.PrimaryReplicas = o.CanaryReplicas
		return
	}
	if !idlePhase(effectivePhase(m.s)) || m.repair != nil || m.scalePrimary > 0 || o.HPA != nil ||
		o.PrimaryReplicas == nil || *o.PrimaryReplicas == 0 {
		return
	}
	m.s.PrimaryReplicas = *o.PrimaryReplicas
}
