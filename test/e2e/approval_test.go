//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestApprovalWaitsPastTheMaximumHoldUntilPromote releases with
// meshcanary.io/approval: before-promotion and a maximum hold of 2s: after
// its last step the release waits with the last weight, keeps waiting for
// three times the maximum hold without rolling back, and the promote
// command then promotes it.
func TestApprovalWaitsPastTheMaximumHoldUntilPromote(t *testing.T) {
	t.Parallel()
	const maxHold = 2 * time.Second
	a := newApp(t, "approval").Steps("20,50").StepInterval("2s").
		Set(config.KeyApproval, string(config.ApprovalBeforePromotion)).Set(config.KeyMaxHold, maxHold.String()).Create()
	rev := a.SetImage("example.com/web:v2")
	waiting := a.waitStatus("the wait for approval of revision "+rev, func(s stepper.Status) (bool, error) {
		if s.Revision == rev && s.Phase != stepper.PhaseProgressing {
			return false, fmt.Errorf("the release left Progressing without approval: %s: %s", s.Reason, s.Message)
		}
		return s.Revision == rev && s.AwaitingApproval != nil, nil
	})
	if waiting.Step != 2 || waiting.Reason != stepper.ReasonAwaitingApproval {
		t.Errorf("waiting at step %d with reason %s (%s), want step 2 and %s",
			waiting.Step, waiting.Reason, waiting.Message, stepper.ReasonAwaitingApproval)
	}
	e := a.waitEvent(corev1.EventTypeNormal, stepper.ReasonAwaitingApproval, func() error { return nil })
	if !strings.Contains(e.Message, config.CommandAnnotation) {
		t.Errorf("Event %s does not say how to approve: %s", e.Reason, e.Message)
	}
	a.eventually("the route to hold the last step's weight while waiting", func() error {
		if got := describeRoute(a.virtualService(appName).Spec.Http[0].Route); got != "primary=50 canary=50" {
			return fmt.Errorf("route %q, want primary=50 canary=50", got)
		}
		return nil
	})

	time.Sleep(3 * maxHold) // what must not happen: a HoldTimeout rollback
	for _, v := range a.rec.statusHistory() {
		if v.Status.Revision == rev && v.Status.Phase != stepper.PhaseProgressing {
			t.Fatalf("the release left Progressing while waiting for approval: %s: %s", v.Status.Reason, v.Status.Message)
		}
	}
	if v, _ := a.rec.latest(); v.Status.AwaitingApproval == nil {
		t.Fatalf("the release stopped waiting without approval: %s: %s", v.Status.Reason, v.Status.Message)
	}

	a.Annotate(config.CommandAnnotation, "promote/1")
	final := a.waitPhase(rev, stepper.PhaseSucceeded)
	if final.CommandAck != "promote/1" || final.AwaitingApproval != nil {
		t.Errorf("after approval: commandAck %q, awaitingApproval %v; want promote/1 and none", final.CommandAck, final.AwaitingApproval)
	}
	a.checkPromoted(rev, "example.com/web:v2")
}

// TestApprovalBeforeFirstStepKeepsTheCanaryWithoutTraffic releases with
// meshcanary.io/approval: before-first-step: the canary is scaled up and
// ready but the route sends everything to the primary until the promote
// command, which starts step 1; the release then runs to its promotion.
func TestApprovalBeforeFirstStepKeepsTheCanaryWithoutTraffic(t *testing.T) {
	t.Parallel()
	a := newApp(t, "approval-first").Steps("20,50").StepInterval("2s").
		Set(config.KeyApproval, string(config.ApprovalBeforeFirstStep)).Set(config.KeyMaxHold, "2s").Create()
	rev := a.SetImage("example.com/web:v2")
	waiting := a.waitStatus("the wait for approval of revision "+rev, func(s stepper.Status) (bool, error) {
		if s.Revision == rev && s.Step > 0 {
			return false, fmt.Errorf("the release reached step %d without approval", s.Step)
		}
		return s.Revision == rev && s.AwaitingApproval != nil, nil
	})
	if waiting.Weight != 0 || waiting.Reason != stepper.ReasonAwaitingApproval {
		t.Errorf("waiting with weight %d and reason %s (%s), want 0 and %s", waiting.Weight, waiting.Reason, waiting.Message,
			stepper.ReasonAwaitingApproval)
	}
	if got := describeRoute(a.virtualService(appName).Spec.Http[0].Route); got != "primary" {
		t.Errorf("route while waiting %q, want the primary alone", got)
	}

	a.Annotate(config.CommandAnnotation, "promote/first")
	a.waitEvent(corev1.EventTypeNormal, stepper.ReasonApproved, func() error { return nil })
	final := a.waitPhase(rev, stepper.PhaseSucceeded)
	if got, want := strings.Join(a.stepsOf(rev), "; "), "step 1/2 weight 20/100; step 2/2 weight 50/100"; got != want {
		t.Errorf("steps of the release %q, want %q after the approval", got, want)
	}
	if final.Reason != stepper.ReasonPromoted {
		t.Errorf("final reason %s (%s), want %s", final.Reason, final.Message, stepper.ReasonPromoted)
	}
	a.checkPromoted(rev, "example.com/web:v2")
}
