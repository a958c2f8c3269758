//go:build e2e

package xds

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pushTimeout bounds how long a test waits for istiod to push a change; it
// only stops a broken test, the delays themselves are measured by
// BenchmarkPropagation.
const pushTimeout = 2 * time.Minute

// TestIstiodPushesCanaryWeightsAndSubsets writes meshcanary's kind of
// DestinationRule and VirtualService for a Service with primary and canary
// kwok pods, and checks what istiod pushes to a sidecar of the namespace: the
// route's weighted clusters carry exactly the VirtualService's fractions
// (5/1000, then 1/10000, then the canary is left out at weight 0) and each subset cluster's endpoints are exactly the
// Ready pods of that subset, following a pod's deletion.
func TestIstiodPushesCanaryWeightsAndSubsets(t *testing.T) {
	m := startMesh(t)
	var primary, canary []*corev1.Pod
	for i := range 3 {
		primary = append(primary, m.createPod(t, podName("primary", i), map[string]string{"app": "web", roleLabel: "primary"}))
	}
	for i := range 2 {
		canary = append(canary, m.createPod(t, podName("canary", i), map[string]string{"app": "web", roleLabel: "canary"}))
	}
	for i, p := range primary {
		primary[i] = m.waitReady(t, p)
	}
	for i, p := range canary {
		canary[i] = m.waitReady(t, p)
	}
	m.applyDestinationRule(t)
	x := m.dial(t)

	// Weight 0, as at the end of a release: istiod leaves the destination out.
	for _, w := range []struct{ primary, canary int64 }{{995, 5}, {9999, 1}, {1000, 0}} {
		m.applyVirtualService(t, w.primary, w.canary)
		want := []WeightedCluster{{Cluster: m.subsetCluster("primary"), Weight: uint32(w.primary)}}
		if w.canary > 0 {
			want = append(want, WeightedCluster{Cluster: m.subsetCluster("canary"), Weight: uint32(w.canary)})
		}
		snap := m.waitRoute(t, x, func(got []WeightedCluster) bool { return len(got) > 0 && got[0].Weight == want[0].Weight })
		got, err := snap.Route("80", m.host()+":80")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("VirtualService weights %d/%d: istiod pushed %+v", w.primary, w.canary, got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("weighted clusters of route 80 for weights %d/%d (-want +got):\n%s", w.primary, w.canary, diff)
		}
		// Envoy draws below the sum of the weights unless the deprecated
		// total_weight is set; istiod must leave it unset or equal to that sum.
		if total := totalWeight(snap, m.host()+":80"); total != 0 && total != uint32(w.primary+w.canary) {
			t.Errorf("total_weight %d, want unset or %d", total, w.primary+w.canary)
		}
		if share := canaryShare(got, m.subsetCluster("canary")); share.Cmp(big.NewRat(w.canary, w.primary+w.canary)) != 0 {
			t.Errorf("canary share %s, want exactly %d/%d", share, w.canary, w.primary+w.canary)
		}
	}

	for subset, pods := range map[string][]*corev1.Pod{"primary": primary, "canary": canary} {
		m.waitEndpoints(t, x, m.subsetCluster(subset), endpoints(pods...))
	}

	// A canary pod deleted leaves the canary subset; the other stays.
	if err := m.client.CoreV1().Pods(m.ns).Delete(t.Context(), canary[0].Name,
		metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	m.waitEndpoints(t, x, m.subsetCluster("canary"), endpoints(canary[1]))
}

// totalWeight returns the total_weight of the weighted clusters of host's first
// route in route configuration 80 (0 when unset).
func totalWeight(s *Snapshot, host string) uint32 {
	for _, vh := range s.Routes["80"].GetVirtualHosts() {
		if vh.GetName() == host && len(vh.GetRoutes()) > 0 {
			//lint:ignore SA1019 reading the deprecated field is the point: istiod must leave it unset or right
			return vh.GetRoutes()[0].GetRoute().GetWeightedClusters().GetTotalWeight().GetValue()
		}
	}
	return 0
}

// canaryShare is the weight of the canary cluster over the total, exactly.
func canaryShare(clusters []WeightedCluster, canary string) *big.Rat {
	var total int64
	for _, c := range clusters {
		total += int64(c.Weight)
	}
	return big.NewRat(int64(canaryWeight(clusters, canary)), total)
}

// waitRoute waits until the route of web:80 satisfies ok and returns that snapshot.
func (m *mesh) waitRoute(t testing.TB, x *Client, ok func([]WeightedCluster) bool) *Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), pushTimeout)
	defer cancel()
	var last error
	snap, err := x.Wait(ctx, func(s *Snapshot) bool {
		got, err := s.Route("80", m.host()+":80")
		last = err
		if err == nil && !ok(got) {
			last = fmt.Errorf("route is %+v", got)
		}
		return last == nil
	})
	if err != nil {
		t.Fatalf("%v; last: %v", err, last)
	}
	return snap
}

// waitEndpoints waits until the healthy endpoints of cluster are exactly want.
func (m *mesh) waitEndpoints(t testing.TB, x *Client, cluster string, want []string) *Snapshot {
	t.Helper()
	return waitHealthy(t, x, pushTimeout, cluster, fmt.Sprintf("endpoints %v", want), func(got []string) bool { return slices.Equal(got, want) })
}
