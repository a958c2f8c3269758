package meshsim

import (
	"context"
	"testing"
	"time"

	"istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"
)

// startDelayedSim is startSim with proxies that see routing changes 1 to 5
// seconds late.
func startDelayedSim(t *testing.T, objs ...runtime.Object) testSim {
	t.Helper()
	kube, istio := fakeClients(objs...)
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	s, err := NewForClients(kube, istio, Options{Namespaces: []string{ns}, Rand: seeded(7), Clock: clk,
		Propagation: &Propagation{Proxies: 16, Min: time.Second, Max: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return testSim{Sim: s, kube: kube, istio: istio, clock: clk}
}

// changesQueued waits until every proxy has n changes on their way, that
// is until the informers delivered the changes made.
func (s testSim) changesQueued(t *testing.T, n int) {
	t.Helper()
	eventually(t, "the routing changes to reach the proxies' queues", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, v := range s.proxies {
			if len(v.pending) < n {
				return false
			}
		}
		return true
	})
}

// sendMany sends n requests and counts the subsets and flags seen.
func (s testSim) sendMany(n int) (subsets, flags map[string]int) {
	subsets, flags = map[string]int{}, map[string]int{}
	for range n {
		d, _ := s.Send(Request{Service: podinfo})
		subsets[d.Subset]++
		flags[d.Flags]++
	}
	return subsets, flags
}

func (s testSim) updateVS(t *testing.T, vs *networkingv1.VirtualService, route *v1alpha3.HTTPRoute) *networkingv1.VirtualService {
	t.Helper()
	vs = vs.DeepCopy()
	vs.Spec.Http = []*v1alpha3.HTTPRoute{route}
	vs, err := s.istio.NetworkingV1().VirtualServices(ns).Update(context.Background(), vs, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestPropagationEachProxySeesAChangeBetweenMinAndMax(t *testing.T) {
	vs := virtualService(app, []string{app}, weighted("primary", 100, "canary", 0))
	s := startDelayedSim(t, service(app), destinationRule(), primaryPod("a").obj(), canaryPod("a").obj(), vs)
	if subsets, _ := s.sendMany(200); subsets["primary"] != 200 {
		t.Fatalf("before the change: subsets %v, want all primary (objects present at the start are seen at once)", subsets)
	}
	s.updateVS(t, vs, weighted("primary", 0, "canary", 100))
	s.changesQueued(t, 1)

	s.clock.Step(999 * time.Millisecond)
	if subsets, _ := s.sendMany(500); subsets["primary"] != 500 {
		t.Errorf("just under the minimum delay: subsets %v, want every proxy still on the old route", subsets)
	}
	s.clock.Step(2 * time.Second)
	subsets, _ := s.sendMany(500)
	if subsets["primary"] == 0 || subsets["canary"] == 0 {
		t.Errorf("3s after the change: subsets %v, want some proxies on the old route and some on the new", subsets)
	}
	s.clock.Step(2*time.Second + time.Millisecond)
	if subsets, _ := s.sendMany(500); subsets["canary"] != 500 {
		t.Errorf("past the maximum delay: subsets %v, want every proxy on the new route", subsets)
	}
}

// TestPropagationKeepsTheOrderOfChanges adds a subset, then routes to it at
// once: since each proxy applies changes in order, none routes to the
// subset before it has it (no NC), however the delays are drawn.
func TestPropagationKeepsTheOrderOfChanges(t *testing.T) {
	dr := destinationRule()
	dr.Spec.Subsets = dr.Spec.Subsets[:1]
	vs := virtualService(app, []string{app}, weighted("primary", 100))
	s := startDelayedSim(t, service(app), dr, primaryPod("a").obj(), canaryPod("a").obj(), vs)
	if _, err := s.istio.NetworkingV1().DestinationRules(ns).Update(context.Background(), destinationRule(), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.changesQueued(t, 1)
	s.updateVS(t, vs, weighted("primary", 50, "canary", 50))
	s.changesQueued(t, 2)
	all := map[string]int{}
	for range 60 {
		s.clock.Step(100 * time.Millisecond)
		subsets, flags := s.sendMany(50)
		if flags[FlagNoCluster] > 0 {
			t.Fatalf("%d requests answered NC: a proxy had the route before the subset it names", flags[FlagNoCluster])
		}
		for k, v := range subsets {
			all[k] += v
		}
	}
	if all["canary"] == 0 {
		t.Errorf("subsets %v, want the canary reached once the change arrived", all)
	}
}

// TestPropagationMakesAnEarlyScaleDownVisible takes the canary's weight
// away and deletes its pod at once, as a controller without a scale-down
// delay would: proxies that still have the old route answer 503 UH until
// they get the new one, and none after the maximum delay.
func TestPropagationMakesAnEarlyScaleDownVisible(t *testing.T) {
	vs := virtualService(app, []string{app}, weighted("primary", 50, "canary", 50))
	canary := canaryPod("a").obj()
	s := startDelayedSim(t, service(app), destinationRule(), primaryPod("a").obj(), canary, vs)
	s.updateVS(t, vs, weighted("primary", 100, "canary", 0))
	s.changesQueued(t, 1)
	if err := s.kube.CoreV1().Pods(ns).Delete(context.Background(), canary.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the canary pod to be gone from the cache", func() bool {
		_, flags := s.sendMany(20)
		return flags[FlagNoHealthyUpstream] > 0
	})
	s.clock.Step(5*time.Second + time.Millisecond)
	if _, flags := s.sendMany(500); flags[FlagNoHealthyUpstream] > 0 {
		t.Errorf("past the maximum delay: flags %v, want no UH", flags)
	}
}

func TestParsePropagation(t *testing.T) {
	p, err := ParsePropagation("1s-5s", 8)
	if err != nil || p != (Propagation{Proxies: 8, Min: time.Second, Max: 5 * time.Second}) {
		t.Errorf("ParsePropagation(1s-5s, 8) = %+v, %v", p, err)
	}
	for _, bad := range []string{"", "1s", "5s-1s", "-1s-2s", "1-5"} {
		if _, err := ParsePropagation(bad, 8); err == nil {
			t.Errorf("ParsePropagation(%q) accepted", bad)
		}
	}
	if _, err := ParsePropagation("1s-5s", 0); err == nil {
		t.Error("ParsePropagation with 0 proxies accepted")
	}
}
