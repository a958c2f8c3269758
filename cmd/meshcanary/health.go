package main

import (
	"fmt"
	"net/http"
	"time"
)

// leaseGrace is how long past the lease's expiry a leader that could not
// renew it still reports healthy (as kube-controller-manager does).
const leaseGrace = 20 * time.Second

// elector is what the probes ask of the leader election; implemented by
// *leaderelection.LeaderElector.
type elector interface {
	// IsLeader reports whether this replica holds the lease.
	IsLeader() bool
	// Check fails when this replica holds the lease but has not renewed it
	// for longer than the lease duration plus the given grace.
	Check(grace time.Duration) error
}

// health answers the kubelet's probes.
//
// /healthz (liveness) fails only when this replica leads but its lease
// renewal is stuck past the lease duration plus leaseGrace: the process
// should have stopped leading and is wedged, so a restart helps. It does
// not depend on the API server or the caches, which a restart would not
// fix.
//
// /readyz (readiness) is ready once every informer cache has synced, and
// on a standby replica (leader election on, lease held by another) that
// waits to take over; the leader is not ready while its caches sync, and
// the answer names the caches it waits for.
type health struct {
	lease elector // nil without leader election
	// grace is the lease check's tolerance past the lease's expiry.
	grace  time.Duration
	synced func() error
}

func (h *health) healthz(w http.ResponseWriter, _ *http.Request) {
	if h.lease != nil {
		if err := h.lease.Check(h.grace); err != nil {
			http.Error(w, fmt.Sprintf("leader election: %v", err), http.StatusInternalServerError)
			return
		}
	}
	_, _ = w.Write([]byte("ok"))
}

func (h *health) readyz(w http.ResponseWriter, _ *http.Request) {
	if h.lease != nil && !h.lease.IsLeader() {
		_, _ = w.Write([]byte("ok: standby, another replica leads"))
		return
	}
	if err := h.synced(); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok"))
}
