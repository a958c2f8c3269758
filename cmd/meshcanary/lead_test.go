package main

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/utils/ptr"
)

// events records what happened, in order.
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, s)
}

func (e *events) get() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.list)
}

// drainingRun is a controller that, once its context is done, takes a
// while to drain before it returns.
func drainingRun(e *events) func(context.Context) {
	return func(ctx context.Context) {
		e.add("leading")
		<-ctx.Done()
		time.Sleep(50 * time.Millisecond)
		e.add("drained")
	}
}

func TestSIGTERMReleasesTheLeaseOnlyAfterTheControllerDrained(t *testing.T) {
	var e events
	stop, signal := context.WithCancel(context.Background())
	l := &leadership{run: drainingRun(&e), stop: stop}
	go l.lead(context.Background())
	for !slices.Contains(e.get(), "leading") {
		time.Sleep(time.Millisecond)
	}
	released := make(chan struct{})
	go l.releaseAfterDrain(func() { e.add("released"); close(released) })
	signal()
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("the lease was never released")
	}
	if got, want := e.get(), []string{"leading", "drained", "released"}; !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

func TestALostLeaseStopsTheControllerAndWaitsForItsDrain(t *testing.T) {
	var e events
	l := &leadership{run: drainingRun(&e), stop: context.Background()}
	leading, lose := context.WithCancel(context.Background())
	go l.lead(leading)
	for !slices.Contains(e.get(), "leading") {
		time.Sleep(time.Millisecond)
	}
	lose()
	l.wait()
	if got, want := e.get(), []string{"leading", "drained"}; !slices.Equal(got, want) {
		t.Errorf("events %q when wait returned, want %q", got, want)
	}
}

func TestSIGTERMWithoutLeadingReleasesAtOnce(t *testing.T) {
	stop, signal := context.WithCancel(context.Background())
	l := &leadership{run: func(context.Context) { t.Error("run called without leading") }, stop: stop}
	released := make(chan struct{})
	go l.releaseAfterDrain(func() { close(released) })
	signal()
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("a replica that never led did not stop")
	}
}

func TestReleaseLeaseGivesUpOnlyALeaseThisReplicaHolds(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		holder, want string
	}{{"me", ""}, {"other", "other"}} {
		kube := fake.NewClientset(&coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: "meshcanary", Namespace: "ns"},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To(tc.holder), LeaseDurationSeconds: ptr.To[int32](15)},
		})
		lock, err := resourcelock.New(resourcelock.LeasesResourceLock, "ns", "meshcanary",
			kube.CoreV1(), kube.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: "me"})
		if err != nil {
			t.Fatal(err)
		}
		releaseLease(ctx, lock, zap.NewNop())
		lease, err := kube.CoordinationV1().Leases("ns").Get(ctx, "meshcanary", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := ptr.Deref(lease.Spec.HolderIdentity, ""); got != tc.want {
			t.Errorf("lease held by %q: after the release the holder is %q, want %q", tc.holder, got, tc.want)
		}
	}
}
