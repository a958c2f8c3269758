//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// TestLowTrafficHealthyCanaryHoldsThenPromotes releases a healthy canary
// (the primary's 1 % error rate) of a service with 3 requests/s: the step's
// bake time ends before the canary has served the gates' minimum of 40
// requests, so the gates hold ("N of 40 requests this step") instead of failing
// for lack of data, then pass and promote.
func TestLowTrafficHealthyCanaryHoldsThenPromotes(t *testing.T) {
	t.Parallel()
	a := newApp(t, "low-traffic").Steps("50").StepInterval("6s").Rate(3).
		Pod(meshsim.ErrorRateAnnotation, "0.01").
		Set("gate.error-rate", "max=10%").Set("gate.min-requests", "40").Create()
	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)

	held, holding := false, false
	for _, v := range a.rec.statusHistory() {
		s := v.Status
		if s.Revision != rev {
			continue
		}
		if s.Phase == stepper.PhaseRollingBack || s.Phase == stepper.PhaseFailed || s.FailedChecks > 0 {
			t.Errorf("the healthy canary failed a check or rolled back: %s", describeStatus(s))
		}
		held = held || hasVerdict(s, gates.Hold, "requests this step")
		holding = holding || s.Reason == stepper.ReasonHolding
	}
	if !held {
		t.Errorf("no status showed the gate holding for too few requests")
	}
	if !holding {
		t.Errorf("no status showed the step holding past its bake time (reason %s)", stepper.ReasonHolding)
	}
}

// TestPrometheusOutageHoldsThenResumes makes Prometheus unreachable for the
// controller in the middle of a step, until the step's bake time is over:
// the gates hold with the reason, the step holds instead of advancing or
// failing, and once Prometheus is back the release completes. It runs
// alone: Prometheus is shared.
func TestPrometheusOutageHoldsThenResumes(t *testing.T) {
	t.Cleanup(func() { env.prometheus.setDown(false) })
	a := newApp(t, "prom-outage").Steps("20,50").StepInterval("10s").Rate(30).
		Set("gate.error-rate", "max=5%").Set("gate.min-requests", "10").Create()
	rev := a.SetImage("example.com/web:v2")
	a.waitStep(rev, 1)

	env.prometheus.setDown(true)
	outage := a.waitStatus("a step holding past its bake time for Prometheus", func(s stepper.Status) (bool, error) {
		if s.Revision == rev && s.Phase != stepper.PhaseProgressing {
			return false, fmt.Errorf("the release left Progressing during the outage: %s", describeStatus(s))
		}
		return s.Reason == stepper.ReasonHolding && hasVerdict(s, gates.Hold, "prometheus"), nil
	})
	env.prometheus.setDown(false)
	t.Logf("held at step %d with Prometheus down (%d queries dropped): %s", outage.Step, env.prometheus.droppedRequests(), outage.Message)
	a.waitPhase(rev, stepper.PhaseSucceeded)

	for _, v := range a.rec.statusHistory() {
		if s := v.Status; s.Revision == rev && (s.FailedChecks > 0 || s.Phase == stepper.PhaseRollingBack) {
			t.Errorf("the outage failed a check or rolled back: %s", describeStatus(s))
		}
	}
	if diff := cmp.Diff([]string{"step 1/2 weight 20/100", "step 2/2 weight 50/100"}, a.stepsOf(rev)); diff != "" {
		t.Errorf("steps in the status (-want +got):\n%s", diff)
	}
}

// hasVerdict reports whether s holds a verdict with result r whose reason
// contains text (case-insensitively).
func hasVerdict(s stepper.Status, r gates.Result, text string) bool {
	for _, v := range s.Verdicts {
		if v.Result == r && strings.Contains(strings.ToLower(v.Reason), strings.ToLower(text)) {
			return true
		}
	}
	return false
}
