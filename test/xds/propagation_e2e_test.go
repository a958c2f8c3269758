//go:build e2e

package xds

import (
	"context"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
)

// propagationSamples is how many changes each delay is measured over.
const propagationSamples = 20

// BenchmarkPropagation measures, on one sidecar connected to istiod, the two
// delays the scale-down delay has to cover: from a VirtualService write (just
// before the request is sent) to the RDS response carrying its weights
// arriving at the proxy, over propagationSamples weight changes; and from a
// canary pod being seen Ready (a watch event) to the EDS response listing it,
// over propagationSamples new pods. It prints p50, p99 and max of each.
//
//	go -C test/xds test -tags e2e -run '^$' -bench Propagation -benchtime 1x .
func BenchmarkPropagation(b *testing.B) {
	m := startMesh(b)
	m.applyDestinationRule(b)
	m.applyVirtualService(b, 1000, 0)
	x := m.dial(b)
	snap := m.waitRoute(b, x, func(got []WeightedCluster) bool { return canaryWeight(got, m.subsetCluster("canary")) == 0 })
	got, _ := snap.Route("80", m.host()+":80")
	b.Logf("VirtualService weights 1000/0: istiod pushed %+v", got)
	for b.Loop() {
		route := m.routeDelays(b, x)
		ready := m.readyDelays(b, x)
		report(b, "route", route)
		report(b, "endpoint", ready)
	}
}

// routeDelays writes canary weights 1, 2, … and times each until the proxy has it.
func (m *mesh) routeDelays(b *testing.B, x *Client) []time.Duration {
	var delays []time.Duration
	for i := 1; i <= propagationSamples; i++ {
		canary := uint32(i)
		sent := time.Now()
		m.applyVirtualService(b, int64(1000-i), int64(i))
		snap := m.waitRoute(b, x, func(got []WeightedCluster) bool { return canaryWeight(got, m.subsetCluster("canary")) == canary })
		delays = append(delays, snap.At.Sub(sent))
	}
	return delays
}

// canaryWeight is the weight of cluster among got, 0 when it is absent.
func canaryWeight(got []WeightedCluster, cluster string) uint32 {
	for _, c := range got {
		if c.Cluster == cluster {
			return c.Weight
		}
	}
	return 0
}

// readyDelays creates canary pods one at a time and times each from the watch
// event that shows it Ready to the EDS response that lists it.
func (m *mesh) readyDelays(b *testing.B, x *Client) []time.Duration {
	var delays []time.Duration
	for i := range propagationSamples {
		pod := m.createPod(b, podName("canary-bench", i), map[string]string{"app": "web", roleLabel: "canary"})
		readyAt, ready := m.watchReady(b, pod.Name)
		want := ready.Status.PodIP + ":8080"
		snap := m.waitEndpointsWith(b, x, m.subsetCluster("canary"), want)
		delays = append(delays, snap.At.Sub(readyAt))
	}
	return delays
}

// watchReady watches pod until an event shows it Ready with an IP and returns
// when that event was received and the pod.
func (m *mesh) watchReady(b *testing.B, name string) (time.Time, *corev1.Pod) {
	ctx, cancel := context.WithTimeout(b.Context(), pushTimeout)
	defer cancel()
	w, err := m.client.CoreV1().Pods(m.ns).Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String(),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		at := time.Now()
		pod, ok := ev.Object.(*corev1.Pod)
		if ok && ev.Type != watch.Deleted && pod.Status.PodIP != "" && podReady(pod) {
			return at, pod
		}
	}
	b.Fatalf("pod %s not seen Ready: %v", name, ctx.Err())
	return time.Time{}, nil
}

// waitEndpointsWith waits until the healthy endpoints of cluster include addr.
func (m *mesh) waitEndpointsWith(b *testing.B, x *Client, cluster, addr string) *Snapshot {
	ctx, cancel := context.WithTimeout(b.Context(), pushTimeout)
	defer cancel()
	snap, err := x.Wait(ctx, func(s *Snapshot) bool {
		got, _ := s.HealthyEndpoints(cluster)
		return slices.Contains(got, addr)
	})
	if err != nil {
		b.Fatalf("endpoint %s of %s: %v", addr, cluster, err)
	}
	return snap
}

// report prints and records the p50, p99 and max of delays.
func report(b *testing.B, what string, delays []time.Duration) {
	sorted := slices.Sorted(slices.Values(delays))
	pct := func(p float64) time.Duration { return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))] }
	p50, p99, top := pct(0.50), pct(0.99), sorted[len(sorted)-1]
	b.ReportMetric(float64(p50.Microseconds())/1000, what+"-p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, what+"-p99-ms")
	b.ReportMetric(float64(top.Microseconds())/1000, what+"-max-ms")
	b.Logf("%s: n=%d p50=%s p99=%s max=%s all=%v", what, len(delays),
		p50.Round(time.Millisecond), p99.Round(time.Millisecond), top.Round(time.Millisecond), roundAll(delays))
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}
