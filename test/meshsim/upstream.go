package meshsim

import (
	"math/rand/v2"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// toDestination picks a Ready pod of a service, restricted to a
// DestinationRule subset when subset is not "". A missing service or subset
// is a 503 NC, no Ready pod a 503 UH.
func toDestination(m Mesh, ref ServiceRef, subset string, rnd *rand.Rand) Decision {
	svc, ok := m.Service(ref)
	if !ok {
		return localReply(ref, 503, FlagNoCluster)
	}
	d := Decision{Upstream: Upstream{Service: ref, Subset: subset}, Flags: NoFlags}
	var want labels.Selector = labels.Everything()
	if subset != "" {
		sl, ok := subsetLabels(m, ref, subset)
		if !ok {
			d.Code, d.Flags = 503, FlagNoCluster
			return d
		}
		want = labels.SelectorFromSet(sl)
	}
	var ready []*corev1.Pod
	if len(svc.Spec.Selector) > 0 {
		for _, p := range m.Pods(ref.Namespace, labels.SelectorFromSet(svc.Spec.Selector)) {
			if Ready(p) && want.Matches(labels.Set(p.Labels)) {
				ready = append(ready, p)
			}
		}
	}
	if len(ready) == 0 {
		d.Code, d.Flags = 503, FlagNoHealthyUpstream
		return d
	}
	// Caches list in no particular order; sort so a seeded draw repeats.
	slices.SortFunc(ready, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	d.Pod = ready[rnd.IntN(len(ready))]
	return d
}

// servicePort returns the first port of a service, which the simulator's
// requests are sent to (matched by a route's port condition).
func servicePort(m Mesh, ref ServiceRef) uint32 {
	svc, ok := m.Service(ref)
	if !ok || len(svc.Spec.Ports) == 0 {
		return 0
	}
	return uint32(svc.Spec.Ports[0].Port)
}
