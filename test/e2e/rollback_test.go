//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// TestErrorRateRegressionRollsBack releases a template whose pods fail half
// of their requests: the error-rate gate fails it and the release rolls back
// before any promotion.
func TestErrorRateRegressionRollsBack(t *testing.T) {
	t.Parallel()
	a := newApp(t, "error-rate").Steps("20,50").StepInterval("30s").Rate(40).
		Set("gate.error-rate", "max=5%").Set("gate.min-requests", "20").Create()
	rev := a.Release(podBehaviour(meshsim.ErrorRateAnnotation, "0.5"))
	final := a.waitPhase(rev, stepper.PhaseFailed)

	if final.Reason != stepper.ReasonTooManyFailedChecks {
		t.Errorf("rollback reason %q (%s), want %s", final.Reason, final.Message, stepper.ReasonTooManyFailedChecks)
	}
	a.checkFailedVerdict(rev, "error-rate max=5%", 0.05)
	a.checkRolledBack(rev)
}

// TestLatencyRegressionRollsBack releases a template whose pods answer in
// 400ms instead of about 5ms: the latency gate fails it and the release
// rolls back before any promotion.
func TestLatencyRegressionRollsBack(t *testing.T) {
	t.Parallel()
	a := newApp(t, "latency").Steps("20,50").StepInterval("30s").Rate(40).
		Set("gate.latency", "p90<100ms").Set("gate.min-requests", "20").Create()
	rev := a.Release(func(tpl *corev1.PodTemplateSpec) {
		podBehaviour(meshsim.LatencyAnnotation, "400")(tpl)
		podBehaviour(meshsim.LatencySpreadAnnotation, "0")(tpl)
	})
	final := a.waitPhase(rev, stepper.PhaseFailed)

	if final.Reason != stepper.ReasonTooManyFailedChecks {
		t.Errorf("rollback reason %q (%s), want %s", final.Reason, final.Message, stepper.ReasonTooManyFailedChecks)
	}
	a.checkFailedVerdict(rev, "latency p90<100ms", 0.1) // the share of requests slower than 100ms
	a.checkRolledBack(rev)
}

// TestAbortCommandRollsBack aborts a release that would otherwise bake for
// minutes: it rolls back at once and acknowledges the command.
func TestAbortCommandRollsBack(t *testing.T) {
	t.Parallel()
	a := newApp(t, "abort").Steps("20,50").StepInterval("10m").Create()
	rev := a.SetImage("example.com/web:v2")
	a.waitStep(rev, 1)
	a.Annotate(config.CommandAnnotation, "abort/1")
	final := a.waitPhase(rev, stepper.PhaseFailed)

	if final.CommandAck != "abort/1" {
		t.Errorf("status.commandAck = %q, want abort/1", final.CommandAck)
	}
	if final.Reason != stepper.ReasonAborted {
		t.Errorf("rollback reason %q (%s), want %s", final.Reason, final.Message, stepper.ReasonAborted)
	}
	a.checkRolledBack(rev)
}

// podBehaviour returns a template change that sets one of the simulator's
// pod annotations, making a new revision.
func podBehaviour(key, value string) func(*corev1.PodTemplateSpec) {
	return func(tpl *corev1.PodTemplateSpec) {
		if tpl.Annotations == nil {
			tpl.Annotations = map[string]string{}
		}
		tpl.Annotations[key] = value
	}
}

// checkFailedVerdict checks that some status of the release recorded a Fail
// verdict of gate with a value above limit.
func (a *app) checkFailedVerdict(rev, gate string, limit float64) {
	a.t.Helper()
	for _, v := range a.rec.statusHistory() {
		if v.Status.Revision != rev {
			continue
		}
		for _, verdict := range v.Status.Verdicts {
			if verdict.Gate == gate && verdict.Result == gates.Fail && verdict.Value != nil && *verdict.Value > limit {
				a.t.Logf("failed verdict: %s value %g: %s", verdict.Gate, *verdict.Value, verdict.Reason)
				return
			}
		}
	}
	a.t.Errorf("no status of revision %s recorded a Fail verdict of gate %q above %g", rev, gate, limit)
}

// checkRolledBack checks the end of a rollback of revision rev: the release
// never promoted, all traffic is back on the primary, which still runs the
// revision the app was created with, and the canary is idled.
func (a *app) checkRolledBack(rev string) {
	a.t.Helper()
	for _, v := range a.rec.statusHistory() {
		if v.Status.Revision == rev && (v.Status.Phase == stepper.PhasePromoting || v.Status.Phase == stepper.PhaseSucceeded) {
			a.t.Errorf("the release reached %s before rolling back: %s", v.Status.Phase, v.Status.Message)
		}
	}
	// The status is written before the route it implies: the route may
	// follow a moment later.
	a.eventually("the route after the rollback to send everything to the primary", func() error {
		if got := describeRoute(a.virtualService(appName).Spec.Http[0].Route); got != "primary" {
			return fmt.Errorf("route %q, want the primary alone", got)
		}
		return nil
	})
	if got := a.deployment(primaryName).Annotations[config.RevisionAnnotation]; got != a.Revision {
		a.t.Errorf("primary revision after the rollback %q, want the original %q", got, a.Revision)
	}
	a.eventually("the canary to be idled after the rollback", func() error { return a.replicasErr(0) })
}
