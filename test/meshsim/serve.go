package meshsim

import corev1 "k8s.io/api/core/v1"

// sendLocked routes one request, has the chosen pods answer it, records
// both proxies' metrics and counts what the caller saw. s.mu must be held.
func (s *Sim) sendLocked(req Request) (Decision, Answer) {
	d := s.routeLocked(req)
	var a Answer
	if d.Pod == nil {
		// Envoy answered locally: only the caller's proxy reports it.
		a = Answer{Code: d.Code, Latency: d.Delay}
	} else {
		a = s.answer(req.Source, d.Upstream)
		a.Latency += d.Delay
	}
	s.metrics.record(report{
		reporter: ReporterSource, source: req.Source, pod: d.Pod, service: d.Service,
		code: a.Code, flags: d.Flags, latency: a.Latency,
	})
	for _, m := range d.Mirrors {
		s.answer(req.Source, m)
	}
	s.countsOf(req).add(d, a.Code)
	return d, a
}

// answer has the upstream's pod answer a request as its annotations say,
// charging its CPU and recording the destination proxy's report.
func (s *Sim) answer(src Source, up Upstream) Answer {
	b := behaviourOf(up.Pod)
	a := b.Answer(s.rnd)
	s.metrics.podServed(up.Pod, b)
	s.metrics.record(report{
		reporter: ReporterDestination, source: src, pod: up.Pod, service: up.Service,
		code: a.Code, flags: NoFlags, latency: a.Latency,
	})
	return a
}

// behaviourOf returns a pod's behaviour; invalid annotations keep their
// defaults (and were logged when the pod was seen).
func behaviourOf(pod *corev1.Pod) Behaviour {
	b, _ := ParseBehaviour(pod.Annotations)
	return b
}

// countsOf returns the Counts that keep req: its service's, or its
// service's through its gateway.
func (s *Sim) countsOf(req Request) *Counts {
	if req.Gateway != "" {
		key := streamKey{Service: req.Service, Gateway: req.Gateway}
		if s.ingress[key] == nil {
			c := newCounts()
			s.ingress[key] = &c
		}
		return s.ingress[key]
	}
	if s.counts[req.Service] == nil {
		c := newCounts()
		s.counts[req.Service] = &c
	}
	return s.counts[req.Service]
}
