package controller

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// promotedAfter releases web:v2 (steps 5,50) and returns how long after
// the release began it was Succeeded, playing the Deployment controller.
// restartAfter(i) says whether the controller restarts after its i-th
// reconcile of the release (from 0): a new process with nothing in memory.
func promotedAfter(t *testing.T, restartAfter func(i int) bool) time.Duration {
	t.Helper()
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{config.Prefix + config.KeySteps: "5,50"})})
	f.adopt()
	f.setImage("web:v2", "h2")
	begin := f.clock.Now()
	for i := range 40 {
		requeue := f.reconcile()
		st := f.status()
		if st.Phase == stepper.PhaseSucceeded {
			return f.clock.Now().Sub(begin)
		}
		if restartAfter(i) {
			f.restart()
		}
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		if p := f.deployment("web-primary"); p.Annotations[config.RevisionAnnotation] != st.StableRevision {
			f.markAvailable("web-primary")
		}
		f.clock.Step(requeue)
	}
	t.Fatalf("the release did not end: %s", f.status().Message)
	return 0
}

// TestARestartAfterAnyReconcileDelaysAReleaseByAtMostTheSubsetLead
// restarts the controller once, after each reconcile of a release in
// turn: the release is promoted every time, at most stepper.SubsetLead
// later than without the restart. The only thing a restart loses that
// the release waits for is when the canary subset was first seen
// (subsetSince): the new process counts the lead again from its own first
// look, never less. (Restarting after every reconcile instead, a process
// that never lives through its own 1 s timer, would wait for that lead
// forever: a crash loop, not a restart.)
func TestARestartAfterAnyReconcileDelaysAReleaseByAtMostTheSubsetLead(t *testing.T) {
	clean := promotedAfter(t, func(int) bool { return false })
	reconciles := 0
	promotedAfter(t, func(i int) bool { reconciles = i + 1; return false })
	for k := range reconciles {
		if took := promotedAfter(t, func(i int) bool { return i == k }); took > clean+stepper.SubsetLead {
			t.Errorf("restarted after reconcile %d: promoted after %s, want at most %s (%s without a restart)",
				k, took, clean+stepper.SubsetLead, clean)
		}
	}
	t.Logf("%d restart points; promoted after %s without a restart", reconciles, clean)
}
