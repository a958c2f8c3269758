package meshsim

import "testing"

// BenchmarkRoute measures routing one request through a VirtualService with
// two weighted subsets, a DestinationRule and three Ready pods, as served
// from informer caches.
func BenchmarkRoute(b *testing.B) {
	m := meshOf(b, service(app), destinationRule(), primaryPod("a").obj(), primaryPod("b").obj(), canaryPod("a").obj(),
		virtualService(app, []string{app}, weighted("primary", 995, "canary", 5)))
	rnd := seeded(11)
	req := Request{Service: podinfo}
	for b.Loop() {
		Route(m, req, rnd)
	}
}

// BenchmarkSend measures a request end to end: routing, the pod's answer,
// both reporters' metrics and the counts.
func BenchmarkSend(b *testing.B) {
	kube, istio := fakeClients(service(app), destinationRule(), primaryPod("a").obj(), canaryPod("a").obj(),
		virtualService(app, []string{app}, weighted("primary", 995, "canary", 5)))
	s, err := NewForClients(kube, istio, Options{Namespaces: []string{ns}, Rand: seeded(12)})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	req := Request{Service: podinfo}
	for b.Loop() {
		s.Send(req)
	}
}
