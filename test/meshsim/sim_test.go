package meshsim

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"istio.io/api/networking/v1alpha3"
	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	apiwatch "k8s.io/apimachinery/pkg/watch"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	clocktesting "k8s.io/utils/clock/testing"
)

// testSim is a started Sim over fake clientsets with a seeded random source
// and a fake clock.
type testSim struct {
	*Sim
	kube  *kubefake.Clientset
	istio *istiofake.Clientset
	clock *clocktesting.FakeClock
}

func startSim(t *testing.T, objs ...runtime.Object) testSim {
	t.Helper()
	kube, istio := fakeClients(objs...)
	podsWatched := watchOpened(kube, "pods")
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	s, err := NewForClients(kube, istio, Options{Namespaces: []string{ns}, Rand: seeded(10), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	// A change made before the informer's watch is open is lost by the fake
	// clientset (it lists, then watches, with nothing in between), so a
	// test that deletes a pod must not start before the watch does.
	select {
	case <-podsWatched:
	case <-time.After(10 * time.Second):
		t.Fatal("the simulator never opened its watch of pods")
	}
	return testSim{Sim: s, kube: kube, istio: istio, clock: clk}
}

// watchOpened returns a channel closed once a watch of resource is opened
// on kube.
func watchOpened(kube *kubefake.Clientset, resource string) <-chan struct{} {
	opened := make(chan struct{})
	var once sync.Once
	kube.PrependWatchReactor(resource, func(a clienttesting.Action) (bool, apiwatch.Interface, error) {
		var opts metav1.ListOptions
		if wa, ok := a.(clienttesting.WatchActionImpl); ok {
			opts = wa.ListOptions
		}
		w, err := kube.Tracker().Watch(a.GetResource(), a.GetNamespace(), opts)
		if err == nil {
			once.Do(func() { close(opened) })
		}
		return true, w, err
	})
	return opened
}

// eventually polls cond every 10 ms for up to 5 s of real time.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestSimCountsPerPodErrorRateFromAnnotations(t *testing.T) {
	s := startSim(t, service(app), destinationRule(),
		primaryPod("a").obj(), canaryPod("a").annotate(ErrorRateAnnotation, "0.2").obj(),
		virtualService(app, []string{app}, weighted("primary", 90, "canary", 10)))
	const n = 20_000
	for range n {
		s.Send(Request{Service: podinfo})
	}
	c := s.Counts(ns, app)
	if c.Requests != n || c.Workloads["podinfo"]+c.Workloads["podinfo-primary"] != n {
		t.Fatalf("counts %+v, want %d requests all answered by a pod", c, n)
	}
	if !withinBinomial(int(c.Workloads["podinfo"]), n, 0.1) {
		t.Errorf("canary answered %d of %d, want about 10 %%", c.Workloads["podinfo"], n)
	}
	// Only the canary fails, at 20 % of its share.
	if !withinBinomial(int(c.Codes[500]), int(c.Workloads["podinfo"]), 0.2) {
		t.Errorf("%d errors for %d canary requests, want about 20 %%", c.Codes[500], c.Workloads["podinfo"])
	}
	if c.Codes[200]+c.Codes[500] != n {
		t.Errorf("codes %v, want only 200 and 500", c.Codes)
	}
}

func TestSimFollowsVirtualServiceChanges(t *testing.T) {
	vs := virtualService(app, []string{app}, weighted("primary", 100, "canary", 0))
	s := startSim(t, service(app), destinationRule(), primaryPod("a").obj(), canaryPod("a").obj(), vs)
	if d, _ := s.Send(Request{Service: podinfo}); d.Subset != "primary" {
		t.Fatalf("routed to %q before the change, want primary", d.Subset)
	}
	vs = vs.DeepCopy()
	vs.Spec.Http = []*v1alpha3.HTTPRoute{weighted("primary", 0, "canary", 100)}
	if _, err := s.istio.NetworkingV1().VirtualServices(ns).Update(context.Background(), vs, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the canary to get all traffic", func() bool {
		d, _ := s.Send(Request{Service: podinfo})
		return d.Subset == "canary"
	})
}

func TestSimSendsTargetTrafficOnTheClock(t *testing.T) {
	s := startSim(t, service(app), canaryPod("a").obj())
	s.SetTarget(Target{Service: podinfo, Rate: 1000})
	eventually(t, "traffic to flow", func() bool {
		s.clock.Step(10 * time.Millisecond)
		return s.Counts(ns, app).Requests > 0
	})
	s.SetTarget(Target{Service: podinfo})
	before := s.Counts(ns, app)
	for range 100 {
		s.clock.Step(10 * time.Millisecond)
	}
	// The drive loop may still hold one tick taken before the stop.
	if sent := s.Counts(ns, app).Sub(before).Requests; sent > 50 {
		t.Errorf("%d requests sent after the target stopped", sent)
	}
}

func TestSimServesShareAndMetrics(t *testing.T) {
	s := startSim(t, service(app), destinationRule(), primaryPod("a").obj(), canaryPod("a").obj(),
		virtualService(app, []string{app}, weighted("primary", 75, "canary", 25)))
	for range 1000 {
		s.Send(Request{Service: podinfo})
	}
	resp, err := http.Get("http://" + s.Addr() + "/share")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]shareReport
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	c := s.Counts(ns, app)
	want := map[string]shareReport{"shop/podinfo": {Counts: c, Shares: c.Shares()}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/share (-want +got):\n%s", diff)
	}
	metrics, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics.Body.Close()
	if metrics.StatusCode != http.StatusOK {
		t.Errorf("/metrics status %d", metrics.StatusCode)
	}
}
