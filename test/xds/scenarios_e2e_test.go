//go:build e2e

package xds

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// TestScenariosInXDSMode runs the suite's traffic scenarios with the mesh
// simulator in xDS mode: every request is routed by what istiod pushed to a
// sidecar, so a route reaches callers as late as istiod sends it, subset
// membership is EDS's, and a route to a cluster without a healthy endpoint is
// 503 UH, to an unknown or warming one 503 NC. One environment serves every
// scenario, run side by side; each checks its own outcome and that none of
// its requests was answered UH, NR, NC or UF.
func TestScenariosInXDSMode(t *testing.T) {
	e := startSimEnv(t)
	for name, run := range scenarios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			run(t, e)
		})
	}
}

// scenarios are the suite's traffic scenarios in xDS mode, by name.
var scenarios = map[string]func(*testing.T, *simEnv){
	"adoption and a release":               adoptionAndRelease,
	"fractional steps carry exact weights": fractionalSteps,
	"an error-rate regression rolls back":  errorRateRollback,
	"an abort rolls back":                  abort,
	"a new revision supersedes a release":  supersede,
	"a release promoted by role swap":      swapRelease,
}

// steps returns the annotations of a release in steps of interval, gates
// checked every 2s.
func steps(s, interval string) map[string]string {
	return map[string]string{
		config.KeySteps: s, config.KeyStepInterval: interval,
		config.KeyCheckInterval: "2s", config.KeyProgressDeadline: "2m",
	}
}

// adoptionAndRelease: after adoption the sidecar routes everything to the
// primary subset; a release reaches it as 80/20, 50/50 and back to the
// primary, and the canary's pods answer requests through it.
func adoptionAndRelease(t *testing.T, e *simEnv) {
	a := e.newSimApp(t, "release", 20, steps("20,50", "6s"), nil)
	primary := WeightedCluster{Cluster: a.subsetCluster(config.SubsetPrimary)}
	canary := WeightedCluster{Cluster: a.subsetCluster(config.SubsetCanary)}
	a.waitRoute("adoption", primary)
	adopted := e.sim.Counts(a.ns, "web")
	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)
	a.waitRoute("promotion", primary)

	want := [][]WeightedCluster{
		{{Cluster: "outbound|80||" + a.svc.FQDN()}},
		{primary},
		{{primary.Cluster, 80}, {canary.Cluster, 20}},
		{{primary.Cluster, 50}, {canary.Cluster, 50}},
		{primary},
	}
	checkRoutes(t, want, a.pushedRoutes())
	during := e.sim.Counts(a.ns, "web").Sub(adopted)
	if during.Workloads["web"] == 0 {
		t.Errorf("the canary (Deployment web) answered none of the %d requests sent during the release: %v", during.Requests, during.Workloads)
	}
}

// fractionalSteps: steps of 0.01 % and 0.5 % reach the sidecar as weighted
// clusters of exactly 9999/1 and 9950/50 (1/10000 and 5/1000).
func fractionalSteps(t *testing.T, e *simEnv) {
	a := e.newSimApp(t, "fractional", 20, steps("0.01,0.5", "6s"), nil)
	primary := WeightedCluster{Cluster: a.subsetCluster(config.SubsetPrimary)}
	canary := a.subsetCluster(config.SubsetCanary)
	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)
	a.waitRoute("promotion", primary)
	want := [][]WeightedCluster{
		{{Cluster: "outbound|80||" + a.svc.FQDN()}},
		{primary},
		{{primary.Cluster, 9999}, {canary, 1}},
		{{primary.Cluster, 9950}, {canary, 50}},
		{primary},
	}
	checkRoutes(t, want, a.pushedRoutes())
}

// errorRateRollback: a template whose pods fail half of their requests is
// failed by the error-rate gate (on the metrics of requests routed by xDS)
// and rolled back; the sidecar ends routing everything to the primary.
func errorRateRollback(t *testing.T, e *simEnv) {
	cfg := steps("20,50", "30s")
	cfg["gate.error-rate"], cfg["gate.min-requests"] = "max=5%", "20"
	a := e.newSimApp(t, "rollback", 40, cfg, nil)
	rev := a.update(func(d *appsv1.Deployment) {
		d.Spec.Template.Annotations = map[string]string{meshsim.ErrorRateAnnotation: "0.5"}
	})
	final := a.waitPhase(rev, stepper.PhaseFailed)
	if final.Reason != stepper.ReasonTooManyFailedChecks {
		t.Errorf("rollback reason %q (%s), want %s", final.Reason, final.Message, stepper.ReasonTooManyFailedChecks)
	}
	a.waitRoute("rollback", WeightedCluster{Cluster: a.subsetCluster(config.SubsetPrimary)})
}

// abort: an abort command rolls a release that would bake for minutes
// back at once, and the sidecar routes everything to the primary again.
func abort(t *testing.T, e *simEnv) {
	a := e.newSimApp(t, "abort", 20, steps("20,50", "10m"), nil)
	primary := a.subsetCluster(config.SubsetPrimary)
	rev := a.SetImage("example.com/web:v2")
	a.waitStep(rev, 1)
	a.waitRoute("step 1", WeightedCluster{primary, 80}, WeightedCluster{a.subsetCluster(config.SubsetCanary), 20})
	a.update(func(d *appsv1.Deployment) { d.Annotations[config.CommandAnnotation] = "abort/1" })
	final := a.waitPhase(rev, stepper.PhaseFailed)
	if final.Reason != stepper.ReasonAborted {
		t.Errorf("rollback reason %q (%s), want %s", final.Reason, final.Message, stepper.ReasonAborted)
	}
	a.waitRoute("abort", WeightedCluster{Cluster: primary})
}

// supersede: a new template while the canary takes traffic sends the
// traffic back to the primary, restarts at step 0 and promotes the newest.
func supersede(t *testing.T, e *simEnv) {
	a := e.newSimApp(t, "supersede", 20, steps("20,50", "10s"), nil)
	primary := a.subsetCluster(config.SubsetPrimary)
	canary := a.subsetCluster(config.SubsetCanary)
	rev2 := a.SetImage("example.com/web:v2")
	a.waitStep(rev2, 1)
	a.waitRoute("step 1 of v2", WeightedCluster{primary, 80}, WeightedCluster{canary, 20})
	rev3 := a.SetImage("example.com/web:v3")
	final := a.waitPhase(rev3, stepper.PhaseSucceeded)
	if final.Superseded != 1 {
		t.Errorf("status.superseded = %d, want 1", final.Superseded)
	}
	a.waitRoute("promotion of v3", WeightedCluster{Cluster: primary})
}

// swapRelease: a good release promoted by role swap (meshcanary.io/promotion:
// swap) reaches the sidecar as slot a alone, 80/20 and 50/50 from slot a to
// slot b, then slot b alone; slot b's pods answer requests, slot a's go
// after the scale-down delay, and no request fails: none is answered UH, NR,
// NC or UF (checked at cleanup, as for every scenario) nor with a 5xx.
func swapRelease(t *testing.T, e *simEnv) {
	cfg := steps("20,50", "6s")
	cfg[config.KeyPromotion] = string(config.PromotionSwap)
	cfg[config.KeyScaleDownDelay] = "3s"
	a := e.newSimApp(t, "swap", 20, cfg, nil)
	slotA := WeightedCluster{Cluster: a.subsetCluster(config.SlotA.Subset())}
	slotB := WeightedCluster{Cluster: a.subsetCluster(config.SlotB.Subset())}
	a.waitRoute("adoption", slotA)
	adopted := e.sim.Counts(a.ns, "web")
	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)
	a.waitRoute("swap", slotB)
	// The former primary slot's pods go after the scale-down delay; traffic
	// keeps running through it and the check at cleanup.
	a.waitNoEndpoints(slotA.Cluster)
	time.Sleep(2 * time.Second)

	want := [][]WeightedCluster{
		{{Cluster: "outbound|80||" + a.svc.FQDN()}},
		{slotA},
		{{slotA.Cluster, 80}, {slotB.Cluster, 20}},
		{{slotA.Cluster, 50}, {slotB.Cluster, 50}},
		{slotB},
	}
	checkRoutes(t, want, a.pushedRoutes())
	during := e.sim.Counts(a.ns, "web").Sub(adopted)
	if n := during.Workloads[config.SlotName("web", config.SlotB)]; n == 0 {
		t.Errorf("slot b answered none of the %d requests sent during the release: %v", during.Requests, during.Workloads)
	}
	all := e.sim.Counts(a.ns, "web")
	for code, n := range all.Codes {
		if code >= 500 {
			t.Errorf("%d of %d requests were answered %d (by workload %v, flags %v)", n, all.Requests, code, all.Workloads, all.Flags)
		}
	}
}

// checkRoutes compares the routes the sidecar received for a service, in
// order, with want (a weight of 0 in want matches any weight).
func checkRoutes(t *testing.T, want, got [][]WeightedCluster) {
	t.Helper()
	t.Logf("routes pushed to the sidecar, in order: %+v", got)
	ok := len(want) == len(got)
	for i := 0; ok && i < len(want); i++ {
		ok = sameRoute(want[i], got[i])
	}
	if !ok {
		t.Errorf("routes pushed to the sidecar, in order (-want +got):\n%s", cmp.Diff(want, got))
	}
}
