package cli

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls until check holds, failing the test after 10s.
func waitFor(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// update applies change to the Deployment ns/name and its status.
func update(t *testing.T, cl Clients, ns, name string, change func(*appsv1.Deployment)) {
	t.Helper()
	d := load(t, cl, ns, name)
	change(d)
	save(t, cl, d)
}

func TestStatusWatchPrintsARowPerStatusChangeOnly(t *testing.T) {
	cl := clientsOf(t, canaries()...)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Status(ctx, cl, out, &bytes.Buffer{}, StatusOptions{Namespace: "shop", Watch: true, Output: OutputTable, Now: clock})
	}()
	rows := func() int { return strings.Count(out.String(), "\n") }
	waitFor(t, "the first table", func() bool { return rows() == 7 })
	waitFor(t, "the watches", func() bool { return watching(cl) })

	// Not a status change: no row.
	update(t, cl, "shop", "cart", func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](3) })
	// Not a canary: no row.
	update(t, cl, "shop", "legacy", func(d *appsv1.Deployment) { d.Annotations["x"] = "y" })
	// Status changes: a row each.
	update(t, cl, "shop", "reviews", func(d *appsv1.Deployment) {
		setStatus(d, stepper.Status{Phase: stepper.PhaseProgressing, Step: 3, Steps: 5, Weight: 50, Total: 1000})
	})
	waitFor(t, "the row of reviews", func() bool { return rows() >= 8 })
	update(t, cl, "shop", "cart", func(d *appsv1.Deployment) {
		setStatus(d, stepper.Status{Phase: stepper.PhaseProgressing, Steps: 3, Total: 100})
	})
	waitFor(t, "two rows", func() bool { return rows() >= 9 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Status: %v", err)
	}
	checkGolden(t, "status-watch", out.String())
}
