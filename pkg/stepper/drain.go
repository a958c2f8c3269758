package stepper

import (
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// trafficLeft records, at the end of a release, in the write that takes
// the canary's weight away, that the route without canary weight is
// applied: with scale-down on, the canary drains for Config.ScaleDownDelay
// from now before it is scaled down. The controller sees the route in its
// own cache, but Envoy proxies get it from istiod later; scaling down at
// once would leave a proxy that still routes to the canary subset without
// a pod (503 UH). The generation of the user's Deployment is recorded with
// it: while it has not changed, nobody has written the Deployment since,
// so its replicas are still the canary's (see canaryHasReplicas).
// Promoted by role swap it is recorded with scale-down off too: the slot
// traffic left keeps its pods, warm, and the next release waits for the
// delay before it gives that slot a new template (idle).
func (m *machine) trafficLeft() {
	if m.cfg.ScaleDownCanary || swapping(m.cfg) {
		m.s.TrafficLeftAt, m.s.TrafficLeftGeneration = m.stamp(), m.o.UserGeneration
	}
}

// supersededUnderWeight records, when a release promoted by role swap is
// superseded while its canary's slot had traffic, that the route without
// canary weight is written now, in this decision: the slot keeps the
// superseded template until the scale-down delay is over (canaryTarget),
// so that Envoy proxies that have not seen that route yet still reach pods
// that serve, and only then rolls the new one out. The record goes with the
// status of step 1 (endDrain).
func (m *machine) supersededUnderWeight() {
	if swapping(m.cfg) {
		m.s.TrafficLeftAt = m.stamp()
	}
}

// supersedeDrains reports whether the status holds the record of a
// supersede under weight (supersededUnderWeight): at step 0 of a release
// promoted by role swap, traffic left at the release's start.
func (m *machine) supersedeDrains() bool {
	s := m.s
	return swapping(m.cfg) && s.Step == 0 && s.Weight == 0 && s.TrafficLeftAt != nil && s.StepStart != nil &&
		!s.TrafficLeftAt.Before(*s.StepStart)
}

// endDrain forgets the end of the last release once a new one runs the
// canary again. While idle the record stays after the delay, so that the
// scale-down costs no status write of its own: the next status write that
// is due anyway (a new release, a scale by the user moved to the primary)
// drops it. A release that ends in this decision (persisted had no record)
// with its scale-down due at once (no delay, the route without the
// canary's weight already live) needs no record either: the controller
// writes that scale-down before this status.
func (m *machine) endDrain(persisted Status) {
	switch {
	case m.s.TrafficLeftAt == nil:
	case !idlePhase(effectivePhase(m.s)) && !m.supersedeDrains(),
		persisted.TrafficLeftAt == nil && m.cfg.ScaleDownCanary && m.scaleDownDue():
		m.forgetDrain()
	}
}

func (m *machine) forgetDrain() {
	m.s.TrafficLeftAt, m.s.TrafficLeftGeneration = nil, 0
}

// draining reports whether the idle canary keeps its pods because the
// scale-down delay is not over.
func (m *machine) draining() bool {
	return m.s.TrafficLeftAt != nil && m.now.Before(m.drainEnd())
}

// scaleDownDue reports whether the idle canary may be scaled down: the
// delay is over and, at the end of a release, the route without its weight
// is seen applied (the status that ended the release went with that route,
// and a scale-down is written before the status of its own reconcile).
// Never in the decision that promoted by role swap: the canary's slot is
// the former primary's now, which the routes observed still give all
// traffic.
func (m *machine) scaleDownDue() bool {
	if m.swapped {
		return false // the routes observed are the ones before the swap
	}
	return m.s.TrafficLeftAt == nil || !m.draining() && m.o.Routed && m.o.AppliedWeight == 0
}

// canaryHasReplicas reports whether a replica count on the idle user's
// Deployment is the canary's own, left from its release, rather than a
// scale by the user to move to the primary: during the delay it always
// is; after it, while nobody has written the Deployment since the traffic
// left (same generation: the scale-down is not done), or when meshcanary
// made the last change of its replicas (Observations.ReplicasByOthers).
func (m *machine) canaryHasReplicas() bool {
	switch {
	case m.s.TrafficLeftAt == nil:
		return false
	case m.draining(), m.o.UserGeneration == m.s.TrafficLeftGeneration:
		return true
	}
	return !m.o.ReplicasByOthers
}

// drainEnd is when the scale-down delay is over.
func (m *machine) drainEnd() time.Time {
	return m.s.TrafficLeftAt.Add(m.cfg.ScaleDownDelay)
}

// ReplicasOwnerNeeded reports whether a decision on s needs
// Observations.ReplicasByOthers, which the controller reads from the API
// (the managedFields of the user's Deployment, not kept in its cache):
// the canary is idle after a release whose scale-down delay is over, its
// Deployment asks for replicas, and it was written since the traffic left
// the canary, so the count may be the canary's own (not scaled down yet)
// or a scale by the user after the scale-down. It is false in every other
// case, including the usual end of a delay (the generation is unchanged),
// and always with config.PromotionSwap (the canary runs in a slot).
func ReplicasOwnerNeeded(cfg config.Config, s Status, o Observations, now time.Time) bool {
	m := &machine{cfg: cfg, s: s, o: o, now: now}
	return !swapping(cfg) && cfg.ScaleDownCanary && idlePhase(effectivePhase(s)) && s.TrafficLeftAt != nil && !m.draining() &&
		o.UserReplicas > 0 && o.UserGeneration != s.TrafficLeftGeneration
}
