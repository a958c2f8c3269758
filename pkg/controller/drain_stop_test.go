package controller

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/util/workqueue"
)

// stoppingFixture is a fixture whose controller runs its workqueue, with
// the creation of the DestinationRule held until release is closed, and
// the reconciles of ns/web2 counted.
type stoppingFixture struct {
	*fixture
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	web2    int
}

func newStoppingFixture(t *testing.T, drainTimeout time.Duration) *stoppingFixture {
	f := &stoppingFixture{
		fixture: newFixture(t, []runtime.Object{webService(), webDeployment(nil)}),
		entered: make(chan struct{}),
		release: make(chan struct{}),
	}
	f.c.queue = workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	f.c.drainTimeout = drainTimeout
	var once sync.Once
	f.istio.PrependReactor("create", "destinationrules", func(k8stesting.Action) (bool, runtime.Object, error) {
		once.Do(func() { close(f.entered) })
		<-f.release
		return false, nil, nil
	})
	f.kube.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.GetAction).GetName() == "web2" {
			f.mu.Lock()
			f.web2++
			f.mu.Unlock()
		}
		return false, nil, nil
	})
	return f
}

// stopMidWrite runs the controller with one worker, adopts ns/web until
// its reconcile is inside the DestinationRule's creation, queues ns/web2 behind
// it, and cancels Run's context there. It returns a channel closed when
// Run returns.
func (f *stoppingFixture) stopMidWrite() <-chan struct{} {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.c.Run(ctx, 1); err != nil {
			f.t.Errorf("Run: %v", err)
		}
	}()
	f.c.queue.Add("ns/web")
	select {
	case <-f.entered:
	case <-time.After(10 * time.Second):
		f.t.Fatal("the reconcile never reached the DestinationRule's creation")
	}
	f.c.queue.Add("ns/web2")
	cancel()
	return done
}

// kubeWrites lists the writes to the Kubernetes clientset (the Istio one
// stays locked while the held creation blocks in its reactor).
func (f *stoppingFixture) kubeWrites() []string {
	var out []string
	for _, a := range f.kube.Actions() {
		if a.GetVerb() != "get" && a.GetVerb() != "list" && a.GetVerb() != "watch" {
			out = append(out, a.GetVerb()+" "+a.GetResource().Resource)
		}
	}
	return out
}

// TestStoppingDrainsTheReconcileUnderWayAndStartsNoOther stops the
// controller (SIGTERM or a lost lease cancel Run's context) while a
// reconcile is between two writes: Run waits for it to make its remaining
// writes, and the key queued behind it is not reconciled.
func TestStoppingDrainsTheReconcileUnderWayAndStartsNoOther(t *testing.T) {
	f := newStoppingFixture(t, time.Minute)
	done := f.stopMidWrite()
	select {
	case <-done:
		t.Fatal("Run returned while a reconcile was still writing")
	case <-time.After(200 * time.Millisecond):
	}
	close(f.release)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return once the reconcile under way finished")
	}
	if writes := f.kubeWrites(); !slices.Contains(writes, "create deployments") {
		t.Errorf("writes %q: the reconcile under way did not finish (no primary after the DestinationRule)", writes)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.web2 > 0 {
		t.Errorf("ns/web2, queued behind the reconcile under way, was reconciled %d times after the stop", f.web2)
	}
}

// TestStoppingGivesUpOnAStuckReconcileAfterTheDrainTimeout stops the
// controller while a write never returns: Run returns once the drain
// timeout has passed on the controller's clock.
func TestStoppingGivesUpOnAStuckReconcileAfterTheDrainTimeout(t *testing.T) {
	f := newStoppingFixture(t, 3*time.Second)
	defer close(f.release)
	done := f.stopMidWrite()
	for deadline := time.Now().Add(10 * time.Second); ; {
		select {
		case <-done:
			if writes := f.kubeWrites(); slices.Contains(writes, "create deployments") {
				t.Errorf("writes %q: the stuck reconcile went on", writes)
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not return after the drain timeout")
		}
		f.clock.Step(time.Second)
	}
}
