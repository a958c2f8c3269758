//go:build e2e

package xds

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// swapScaleDownDelay is the scale-down delay of TestSwapReleaseReachesTheSidecar:
// short, so that the former primary slot's pods go within the test, long
// enough to be told apart from the swap's route push.
const swapScaleDownDelay = 3 * time.Second

// TestSwapReleaseReachesTheSidecar runs the real controller (bin/meshcanary)
// through two releases promoted by role swap (meshcanary.io/promotion: swap)
// in steps of 0.01 % and 0.5 %, and checks what istiod pushes to a sidecar,
// in order: the adopted route to slot a alone; weighted clusters of exactly
// 9999/1 and 9950/50 from slot a to slot b; slot b alone (the swap); then,
// for the second release, 9999/1 and 9950/50 from slot b to slot a and slot
// a alone. It checks make-before-break on every response the sidecar
// received: a route never gives weight to a slot's cluster before that
// cluster has healthy endpoints, and the former primary slot still has its
// endpoints when the route without it arrives (its pods go only after the
// scale-down delay). The timeline of route pushes and endpoint changes is
// logged.
func TestSwapReleaseReachesTheSidecar(t *testing.T) {
	m := startMesh(t)
	ctrl, err := m.c.StartMeshcanary(cluster.MeshcanaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ctrl.Stop)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("controller log: %s; cluster logs: %s", ctrl.LogPath, m.c.RunDir)
		}
	})
	x := m.dial(t)
	start := time.Now()

	m.createWeb(t, map[string]string{
		config.Prefix + config.KeyPromotion:      string(config.PromotionSwap),
		config.Prefix + config.KeySteps:          "0.01,0.5",
		config.Prefix + config.KeyStepInterval:   "6s",
		config.Prefix + config.KeyCheckInterval:  "2s",
		config.Prefix + config.KeyScaleDownDelay: swapScaleDownDelay.String(),
	})
	a := m.subsetCluster(config.SlotA.Subset())
	b := m.subsetCluster(config.SlotB.Subset())
	m.waitPushedRoute(t, x, "adoption", []WeightedCluster{{Cluster: a}})

	// Two releases: v2 from slot a to slot b, v3 from slot b back to slot a.
	// Before each, the idle slot's pods are gone (the second time, after the
	// scale-down delay of the first swap), so that its endpoints have to come
	// back before the first step's route.
	for _, r := range []struct {
		image            string
		primary, canary  string
		primarySlot, new config.Slot
	}{
		{"registry.example/web:v2", a, b, config.SlotA, config.SlotB},
		{"registry.example/web:v3", b, a, config.SlotB, config.SlotA},
	} {
		m.waitNoEndpoints(t, x, r.canary)
		m.setImage(t, r.image)
		for _, step := range []struct{ primary, canary uint32 }{{9999, 1}, {9950, 50}} {
			want := []WeightedCluster{{r.primary, step.primary}, {r.canary, step.canary}}
			m.waitPushedRoute(t, x, fmt.Sprintf("%s step %d/10000 to slot %s", r.image, step.canary, r.new), want)
		}
		swapped := m.waitPushedRoute(t, x, fmt.Sprintf("%s swap to slot %s", r.image, r.new), []WeightedCluster{{Cluster: r.canary}})
		// The former primary slot keeps its pods for the scale-down delay,
		// then goes to 0 replicas.
		gone := m.waitNoEndpoints(t, x, r.primary)
		t.Logf("%s: the former primary slot %s lost its last endpoint %s after the swap's route (scale-down delay %s)",
			r.image, r.primarySlot, gone.At.Sub(swapped.At).Round(time.Millisecond), swapScaleDownDelay)
		if d := gone.At.Sub(swapped.At); d < swapScaleDownDelay/2 {
			t.Errorf("%s: the former primary slot %s lost its endpoints %s after the swap's route, well within the scale-down delay of %s",
				r.image, r.primarySlot, d, swapScaleDownDelay)
		}
		m.checkSlotReplicas(t, r.primarySlot, 0)
	}

	history := x.History()
	host := m.host() + ":80"
	m.logTimeline(t, history, start, a, b)
	checkRoutes(t, [][]WeightedCluster{
		{{Cluster: "outbound|80||" + m.host()}},
		{{Cluster: a}},
		{{a, 9999}, {b, 1}},
		{{a, 9950}, {b, 50}},
		{{Cluster: b}},
		{{b, 9999}, {a, 1}},
		{{b, 9950}, {a, 50}},
		{{Cluster: a}},
	}, distinctRoutes(history, host))
	checkMakeBeforeBreak(t, history, host, a, b)
}

// waitNoEndpoints waits until the sidecar has no healthy endpoint of cluster
// (none received yet counts as none) and returns that snapshot.
func (m *mesh) waitNoEndpoints(t *testing.T, x *Client, cluster string) *Snapshot {
	t.Helper()
	return waitHealthy(t, x, pushTimeout, cluster, "no endpoint", func(got []string) bool { return len(got) == 0 })
}

// checkSlotReplicas checks that slot's Deployment asks for want replicas.
func (m *mesh) checkSlotReplicas(t *testing.T, slot config.Slot, want int32) {
	t.Helper()
	d, err := m.client.AppsV1().Deployments(m.ns).Get(t.Context(), config.SlotName("web", slot), metav1.GetOptions{})
	if err != nil {
		t.Errorf("slot %s: %v", slot, err)
		return
	}
	if got := ptr.Deref(d.Spec.Replicas, 1); got != want {
		t.Errorf("Deployment %s has %d replicas, want %d", d.Name, got, want)
	}
}

// distinctRoutes returns the distinct successive routes of host in route
// configuration 80 over history.
func distinctRoutes(history []*Snapshot, host string) [][]WeightedCluster {
	var out [][]WeightedCluster
	for _, s := range history {
		got, err := s.Route("80", host)
		if err != nil || len(out) > 0 && slices.Equal(out[len(out)-1], got) {
			continue
		}
		out = append(out, got)
	}
	return out
}

// checkMakeBeforeBreak checks every response the sidecar received: whenever
// the route of host gives weight to one of the slots' clusters, that cluster
// is known over CDS and has healthy endpoints over EDS (else Envoy answers
// 503 NC or UH); and when a route leaves a slot out after giving it weight
// (a swap), that slot still has its endpoints in the snapshot the route
// arrived in, so that requests already sent to it can finish. It logs how
// long each slot's endpoints preceded the first route giving it weight.
func checkMakeBeforeBreak(t *testing.T, history []*Snapshot, host string, slots ...string) {
	t.Helper()
	var prev []WeightedCluster
	up := map[string]time.Time{} // when each slot's endpoints last went from none to some
	for _, s := range history {
		for _, c := range slots {
			if eps, _ := s.HealthyEndpoints(c); len(eps) == 0 {
				delete(up, c)
			} else if _, ok := up[c]; !ok {
				up[c] = s.At
			}
		}
		route, err := s.Route("80", host)
		if err != nil {
			continue
		}
		for _, c := range slots {
			_, known := s.Clusters[c]
			eps, warmed := s.HealthyEndpoints(c)
			weighted := canaryWeight(route, c) > 0 || len(route) == 1 && route[0].Cluster == c
			wasWeighted := canaryWeight(prev, c) > 0 || len(prev) == 1 && prev[0].Cluster == c
			if weighted && !wasWeighted && len(eps) > 0 {
				t.Logf("%s: the route %+v gives weight to %s, whose endpoints arrived %s before it",
					s.At.Format("15:04:05.000"), route, c, s.At.Sub(up[c]))
			}
			switch {
			case weighted && !known:
				t.Errorf("%s: the route %+v gives weight to %s, not in CDS", s.At.Format("15:04:05.000"), route, c)
			case weighted && !warmed:
				t.Errorf("%s: the route %+v gives weight to %s, no EDS response for it yet (warming: 503 NC)", s.At.Format("15:04:05.000"), route, c)
			case weighted && len(eps) == 0:
				t.Errorf("%s: the route %+v gives weight to %s, which has no healthy endpoint (503 UH)", s.At.Format("15:04:05.000"), route, c)
			}
			if wasWeighted && !weighted && len(eps) == 0 {
				t.Errorf("%s: the route %+v that leaves %s out arrived after its endpoints were gone (break before make)",
					s.At.Format("15:04:05.000"), route, c)
			}
		}
		prev = route
	}
}

// logTimeline logs, relative to start, every response after which the route
// of web:80 or the number of healthy endpoints of a slot changed.
func (m *mesh) logTimeline(t *testing.T, history []*Snapshot, start time.Time, slots ...string) {
	t.Helper()
	host := m.host() + ":80"
	short := func(c string) string {
		if i := strings.Index(c, "|"+m.host()); i > 0 {
			c = c[:i]
		}
		if c = strings.TrimPrefix(c, "outbound|80|"); c == "" {
			c = "service"
		}
		return c
	}
	var lines []string
	last := ""
	for _, s := range history {
		route, err := s.Route("80", host)
		var parts []string
		if err == nil {
			var rs []string
			for _, wc := range route {
				rs = append(rs, fmt.Sprintf("%s:%d", short(wc.Cluster), wc.Weight))
			}
			parts = append(parts, "route ["+strings.Join(rs, " ")+"]")
		}
		for _, c := range slots {
			eps, ok := s.HealthyEndpoints(c)
			_, known := s.Clusters[c]
			state := fmt.Sprintf("%d", len(eps))
			switch {
			case !known:
				state = "-"
			case !ok:
				state = "warming"
			}
			parts = append(parts, fmt.Sprintf("%s eps %s", short(c), state))
		}
		line := strings.Join(parts, ", ")
		if line != last {
			lines = append(lines, fmt.Sprintf("  +%7.3fs  %s", s.At.Sub(start).Seconds(), line))
			last = line
		}
	}
	t.Logf("timeline of route pushes and endpoint changes (response arrival, from the Deployment's creation):\n%s", strings.Join(lines, "\n"))
}
