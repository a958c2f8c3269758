//go:build e2e

package xds

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// TestReleaseStepsReachTheSidecar runs the real controller (bin/meshcanary)
// through a release in steps of 0.01 % and 0.5 % and checks what istiod pushes
// to a sidecar: the adopted route to the primary alone, then weighted clusters
// of exactly 9999/1 and 9950/50, then the primary alone again; the canary's
// cluster arrives no later than the first route naming it, and its endpoints
// arrive (how much later is logged) before the release ends.
func TestReleaseStepsReachTheSidecar(t *testing.T) {
	m := startMesh(t)
	ctrl, err := m.c.StartMeshcanary(cluster.MeshcanaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ctrl.Stop)
	x := m.dial(t)

	m.createWeb(t, map[string]string{
		config.Prefix + config.KeySteps:         "0.01,0.5",
		config.Prefix + config.KeyStepInterval:  "6s",
		config.Prefix + config.KeyCheckInterval: "2s",
	})
	primary := WeightedCluster{Cluster: m.subsetCluster(config.SubsetPrimary)}
	canary := WeightedCluster{Cluster: m.subsetCluster(config.SubsetCanary)}
	m.waitPushedRoute(t, x, "adoption", []WeightedCluster{primary})

	m.setImage(t, "registry.example/web:v2")
	for _, step := range []struct{ primary, canary uint32 }{{9999, 1}, {9950, 50}} {
		want := []WeightedCluster{{primary.Cluster, step.primary}, {canary.Cluster, step.canary}}
		m.waitPushedRoute(t, x, fmt.Sprintf("step %d/10000", step.canary), want)
	}
	m.waitPushedRoute(t, x, "promotion", []WeightedCluster{primary})
	m.checkCanaryWarming(t, x.History(), canary.Cluster)
}

// checkCanaryWarming checks, over every response the sidecar received, that
// the canary subset's cluster arrived (CDS) no later than the first route
// giving it weight, as istiod orders a push, and reports how long that route
// preceded the cluster's endpoints (EDS). Envoy warms a new cluster until its
// endpoints arrive and answers 503 NC for a route to it meanwhile: a gap above
// zero is a window of NC. meshcanary adds the canary subset in the same
// reconcile as the first step's weight, so both usually land in one debounced
// push and the gap is the EDS round trip that the new cluster asks for.
func (m *mesh) checkCanaryWarming(t *testing.T, history []*Snapshot, canary string) {
	t.Helper()
	var routed *Snapshot
	for _, s := range history {
		route, err := s.Route("80", m.host()+":80")
		if routed == nil && err == nil && canaryWeight(route, canary) > 0 {
			routed = s
			if _, ok := s.Clusters[canary]; !ok {
				t.Errorf("a route gave the canary weight at %s before its cluster arrived over CDS",
					s.At.Format("15:04:05.000"))
			}
		}
		if routed == nil {
			continue
		}
		if got, _ := s.HealthyEndpoints(canary); len(got) > 0 {
			t.Logf("the first route with canary weight preceded the canary's endpoints by %s (%d responses)",
				s.At.Sub(routed.At), s.Responses-routed.Responses)
			return
		}
	}
	if routed == nil {
		t.Error("no route with canary weight was received")
	} else {
		t.Error("the canary cluster never had endpoints after a route gave it weight")
	}
}

// waitPushedRoute waits until the route of web:80 pushed to x has the clusters
// of want (a weight of 0 in want matches any weight) and returns that snapshot.
func (m *mesh) waitPushedRoute(t *testing.T, x *Client, what string, want []WeightedCluster) *Snapshot {
	t.Helper()
	var got []WeightedCluster
	snap := m.waitRoute(t, x, func(route []WeightedCluster) bool {
		got = route
		return sameRoute(want, route)
	})
	t.Logf("%s: istiod pushed %+v", what, got)
	if !sameRoute(want, got) {
		t.Errorf("%s: route (-want +got):\n%s", what, cmp.Diff(want, got))
	}
	return snap
}

// sameRoute compares routes by cluster and, where want has one, by weight.
func sameRoute(want, got []WeightedCluster) bool {
	if len(want) != len(got) {
		return false
	}
	for i := range want {
		if want[i].Cluster != got[i].Cluster || (want[i].Weight != 0 && want[i].Weight != got[i].Weight) {
			return false
		}
	}
	return true
}
