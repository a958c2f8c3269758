//go:build e2e

package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// propagation is how late the delayed simulator's proxies see routing
// changes: 1 to 5 s, as istiod's push can take on a loaded mesh.
var propagation = meshsim.Propagation{Proxies: 8, Min: time.Second, Max: 5 * time.Second}

// TestScaleDownDelayOutlastsEnvoyPropagation runs a promoted and an
// aborted release while a second simulator, whose proxies see every
// VirtualService and DestinationRule change 1 to 5 s late, sends traffic
// to the app. With a scale-down delay longer than that, the canary keeps
// its pods until every proxy has the route without it: no request is
// answered UH, NR or NC by a late proxy, and the canary is scaled down only
// after the delay.
func TestScaleDownDelayOutlastsEnvoyPropagation(t *testing.T) {
	t.Parallel()
	const delay = 10 * time.Second
	a, sim := newDelayedApp(t, "propagation", delay.String())
	for _, end := range []struct {
		name string
		want stepper.Phase
	}{{"promoted", stepper.PhaseSucceeded}, {"aborted", stepper.PhaseFailed}} {
		final, scaledAfter := a.releaseToIdle(end.name, end.want)
		if final.TrafficLeftAt == nil {
			t.Fatalf("%s: the status that ended the release has no trafficLeftAt: %+v", end.name, final)
		}
		if scaledAfter < delay {
			t.Errorf("%s: the canary was scaled down %s after the release ended, want at least the delay %s", end.name, scaledAfter, delay)
		}
		t.Logf("%s: the canary was scaled down %s after the traffic left it (delay %s)", end.name, scaledAfter.Round(time.Millisecond), delay)
	}
	c := sim.stop()
	t.Logf("traffic through late proxies: %d requests, by workload %v, by code %v, by flags %v", c.Requests, c.Workloads, c.Codes, c.Flags)
	if c.Workloads[appName] == 0 {
		t.Errorf("the canary answered no request through the late proxies: the test proves nothing")
	}
	for _, flag := range routingFlags {
		if n := c.Flags[flag]; n > 0 {
			t.Errorf("%d of %d requests through late proxies were answered %s", n, c.Requests, flag)
		}
	}
}

// TestWithoutScaleDownDelayLateProxiesSee503 is the control of
// TestScaleDownDelayOutlastsEnvoyPropagation: with scale-down-delay 0s the
// canary goes as soon as the controller's cache has the route without it,
// and the late proxies, which still send it traffic, answer 503 UH. It
// shows that the delayed simulator exercises the fault.
func TestWithoutScaleDownDelayLateProxiesSee503(t *testing.T) {
	t.Parallel()
	a, sim := newDelayedApp(t, "no-scale-down-delay", "0s")
	a.releaseToIdle("promoted", stepper.PhaseSucceeded)
	c := sim.stop()
	t.Logf("traffic through late proxies: %d requests, by workload %v, by flags %v", c.Requests, c.Workloads, c.Flags)
	if c.Flags[meshsim.FlagNoHealthyUpstream] == 0 {
		t.Errorf("no request answered UH without a scale-down delay: the late proxies did not exercise the fault")
	}
}

// delayedSim is a simulator of its own, with late proxies, sending traffic
// to one app.
type delayedSim struct {
	t   *testing.T
	sim *meshsim.Sim
	ns  string
}

// newDelayedApp creates an app with steps 50 of 6s and the given
// scale-down delay, and a simulator with late proxies, watching from
// before the app exists, that sends it 40 requests/s once it is Ready.
func newDelayedApp(t *testing.T, name, scaleDownDelay string) (*app, *delayedSim) {
	spec := newApp(t, name).Steps("50").StepInterval("6s").Set(config.KeyScaleDownDelay, scaleDownDelay)
	p := propagation
	sim, err := meshsim.New(env.cluster.AdminConfig(), meshsim.Options{Namespaces: []string{spec.ns}, Propagation: &p})
	must(t, "creating the delayed simulator", err)
	must(t, "starting the delayed simulator", sim.Start(t.Context()))
	t.Cleanup(sim.Close)
	a := spec.Create()
	sim.SetTarget(meshsim.Target{Service: meshsim.ServiceRef{Namespace: spec.ns, Name: appName}, Rate: 40})
	return a, &delayedSim{t: t, sim: sim, ns: spec.ns}
}

// releaseToIdle releases a new image, ending in phase want (aborted at step
// 1 for Failed), checks that the canary still has its replicas when a
// scale-down delay holds them, waits until it is scaled down, and returns
// the status that ended the release and how long after the traffic left
// the canary it was seen scaled down (0 without a delay).
func (a *app) releaseToIdle(name string, want stepper.Phase) (stepper.Status, time.Duration) {
	a.t.Helper()
	rev := a.SetImage(fmt.Sprintf("example.com/web:%s-%d", name, time.Now().UnixNano()))
	if want == stepper.PhaseFailed {
		a.waitStep(rev, 1)
		a.Annotate(config.CommandAnnotation, fmt.Sprintf("abort/%d", time.Now().UnixNano()))
	}
	final := a.waitPhase(rev, want)
	// Without a delay the status that ends a promotion still records
	// trafficLeftAt (written with the weight 0, before the route was seen),
	// and the canary goes as soon as the route is seen.
	delayed := a.deployment(appName).Annotations[config.Prefix+config.KeyScaleDownDelay] != "0s"
	if delayed && a.replicasErr(0) == nil && final.TrafficLeftAt != nil {
		a.t.Errorf("%s: the canary was scaled down by the time the release ended %s", name, final.Phase)
	}
	a.eventually(name+": the canary to be scaled down after the delay", func() error { return a.replicasErr(0) })
	if final.TrafficLeftAt == nil || !delayed {
		return final, 0
	}
	return final, time.Since(*final.TrafficLeftAt)
}

// stop keeps the traffic going until every proxy has the last change
// (the canary's pods may go only now, after its replicas were set to 0),
// stops it and returns what the callers saw.
func (s *delayedSim) stop() meshsim.Counts {
	time.Sleep(propagation.Max + time.Second)
	s.sim.SetTarget(meshsim.Target{Service: meshsim.ServiceRef{Namespace: s.ns, Name: appName}})
	return s.sim.Counts(s.ns, appName)
}
