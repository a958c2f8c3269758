package cli

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
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

// update applies change to the Deployment ns/name.
func update(t *testing.T, kube kubernetes.Interface, ns, name string, change func(*appsv1.Deployment)) {
	t.Helper()
	d, err := kube.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	change(d)
	if _, err := kube.AppsV1().Deployments(ns).Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestStatusWatchPrintsARowPerStatusChangeOnly(t *testing.T) {
	kube := fake.NewClientset(canaries()...)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Status(ctx, kube, out, &bytes.Buffer{}, StatusOptions{Namespace: "shop", Watch: true, Output: OutputTable, Now: clock})
	}()
	rows := func() int { return strings.Count(out.String(), "\n") }
	waitFor(t, "the first table", func() bool { return rows() == 7 })

	// Not a status change: no row.
	update(t, kube, "shop", "cart", func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](3) })
	// Not a canary: no row.
	update(t, kube, "shop", "legacy", func(d *appsv1.Deployment) { d.Annotations["x"] = "y" })
	// Status changes: a row each.
	update(t, kube, "shop", "reviews", func(d *appsv1.Deployment) {
		setStatus(d, stepper.Status{Phase: stepper.PhaseProgressing, Step: 3, Steps: 5, Weight: 50, Total: 1000})
	})
	update(t, kube, "shop", "cart", func(d *appsv1.Deployment) {
		setStatus(d, stepper.Status{Phase: stepper.PhaseProgressing, Steps: 3, Total: 100})
	})
	waitFor(t, "two rows", func() bool { return rows() >= 9 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Status: %v", err)
	}
	checkGolden(t, "status-watch", out.String())
}
