package stepper

import "time"

// trafficLeft records, at the end of a release, that the route without
// canary weight is applied: with scale-down on, the canary drains for
// Config.ScaleDownDelay from now before it is scaled down. The controller
// sees the route in its own cache, but Envoy proxies get it from istiod
// later; scaling down at once would leave a proxy that still routes to the
// canary subset without a pod (503 UH).
func (m *machine) trafficLeft() {
	if m.cfg.ScaleDownCanary {
		m.s.TrafficLeftAt = m.stamp()
	}
}

// endDrain forgets the time the traffic left the canary once the canary
// may be scaled down: the delay is over, or no idle phase holds it any
// more (a new release runs it again).
func (m *machine) endDrain() {
	if m.s.TrafficLeftAt != nil && (!idlePhase(effectivePhase(m.s)) || !m.now.Before(m.drainEnd())) {
		m.s.TrafficLeftAt = nil
	}
}

// draining reports whether the idle canary keeps its pods because the
// scale-down delay is not over. It holds on the persisted status too, so
// that the canary's own replicas are not taken for a scale by the user.
func (m *machine) draining() bool {
	return m.s.TrafficLeftAt != nil
}

// drainEnd is when the scale-down delay is over.
func (m *machine) drainEnd() time.Time {
	return m.s.TrafficLeftAt.Add(m.cfg.ScaleDownDelay)
}
