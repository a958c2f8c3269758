package main

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// probe answers a GET of path on h.
func probe(h *health, path string) (int, string) {
	w := httptest.NewRecorder()
	serveMux(prometheus.NewRegistry(), h).ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w.Code, strings.TrimSpace(w.Body.String())
}

// lease is an elector that is told whether it leads.
type lease struct{ leading bool }

func (l lease) IsLeader() bool          { return l.leading }
func (lease) Check(time.Duration) error { return nil }

func TestReadyzWaitsForTheCachesOfTheLeader(t *testing.T) {
	unsynced := errors.New("informer caches not synced: virtualservices in namespace shop")
	for name, c := range map[string]struct {
		lease  elector
		synced error
		code   int
		body   string
	}{
		"caches syncing":                        {nil, unsynced, 503, unsynced.Error()},
		"caches synced":                         {nil, nil, 200, "ok"},
		"the leader while its caches sync":      {lease{true}, unsynced, 503, unsynced.Error()},
		"a standby, which starts no caches":     {lease{false}, unsynced, 200, "ok: standby, another replica leads"},
		"the leader once its caches are synced": {lease{true}, nil, 200, "ok"},
	} {
		t.Run(name, func(t *testing.T) {
			h := &health{lease: c.lease, synced: func() error { return c.synced }}
			if code, body := probe(h, "/readyz"); code != c.code || body != c.body {
				t.Errorf("/readyz = %d %q, want %d %q", code, body, c.code, c.body)
			}
			if code, _ := probe(h, "/healthz"); code != 200 {
				t.Errorf("/healthz = %d, want 200: liveness does not depend on the caches", code)
			}
		})
	}
}

// stuckLock is a Lease lock whose updates hang, once stuck is closed, as a
// renewal stuck in a wedged process would.
type stuckLock struct {
	resourcelock.Interface
	stuck, release chan struct{}
}

func (l stuckLock) Update(ctx context.Context, r resourcelock.LeaderElectionRecord) error {
	select {
	case <-l.stuck:
		<-l.release
		return errors.New("released")
	default:
		return l.Interface.Update(ctx, r)
	}
}

func TestHealthzFailsWhenTheLeaderCannotRenewItsLease(t *testing.T) {
	kube := fake.NewClientset()
	inner, err := resourcelock.New(resourcelock.LeasesResourceLock, "meshcanary-system", "meshcanary",
		kube.CoreV1(), kube.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: "replica-1"})
	if err != nil {
		t.Fatal(err)
	}
	lock := stuckLock{Interface: inner, stuck: make(chan struct{}), release: make(chan struct{})}
	leading := make(chan struct{})
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: lock, LeaseDuration: 4 * time.Second, RenewDeadline: 3 * time.Second, RetryPeriod: 200 * time.Millisecond,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { close(leading) },
			OnStoppedLeading: func() {},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { le.Run(ctx); close(ran) }()
	defer func() { cancel(); close(lock.release); <-ran }()
	<-leading

	h := &health{lease: le, grace: 500 * time.Millisecond, synced: func() error { return nil }}
	for range 10 { // renewals go through: healthy past the lease duration
		if code, body := probe(h, "/healthz"); code != 200 {
			t.Fatalf("/healthz of a leader that renews its lease = %d %q", code, body)
		}
		time.Sleep(time.Second / 2)
	}
	close(lock.stuck)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, body := probe(h, "/healthz")
		if code == http.StatusInternalServerError && strings.Contains(body, "failed election to renew leadership") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz = %d %q 20s after the lease renewal got stuck; want 500", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
