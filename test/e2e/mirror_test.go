//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// TestMirroredBadCanaryRollsBackWithNoUserVisibleError releases, with all
// traffic mirrored to the canary before step 1, a template whose pods fail
// half of their requests. The error-rate gate judges the canary on the
// mirrored copies and the release rolls back from the mirroring stage: the
// canary received copies, but no caller's request was answered by it and
// no caller saw an error.
func TestMirroredBadCanaryRollsBackWithNoUserVisibleError(t *testing.T) {
	t.Parallel()
	a := newApp(t, "mirror-bad").Steps("20,50").StepInterval("10s").Rate(40).
		Set("strategy.mirror", "100").Set("strategy.mirror-duration", "5m").
		Set("gate.error-rate", "max=5%").Set("gate.min-requests", "20").Create()
	released := time.Now()
	rev := a.Release(podBehaviour(meshsim.ErrorRateAnnotation, "0.5"))
	a.waitStatus("the mirroring stage of revision "+rev, func(s stepper.Status) (bool, error) {
		return s.Revision == rev && s.Mirroring, nil
	})
	final := a.waitPhase(rev, stepper.PhaseFailed)

	if final.Reason != stepper.ReasonTooManyFailedChecks || final.Step != 0 {
		t.Errorf("rollback at step %d for %q (%s), want step 0 for %s", final.Step, final.Reason, final.Message, stepper.ReasonTooManyFailedChecks)
	}
	for _, v := range a.rec.statusHistory() {
		if v.Status.Revision == rev && v.Status.Step > 0 {
			t.Errorf("the release reached step %d before rolling back: %s", v.Status.Step, v.Status.Message)
			break
		}
	}
	a.checkFailedVerdict(rev, "error-rate max=5%", 0.05)
	a.checkRolledBack(rev)

	c := a.rec.traffic.between(released, time.Now())
	if c.Mirrored[appName] == 0 {
		t.Errorf("the canary received no mirrored request during the release (mirrored %v)", c.Mirrored)
	}
	if n := c.Workloads[appName]; n != 0 {
		t.Errorf("the canary answered %d of %d callers' requests during the release, want none (by workload %v)", n, c.Requests, c.Workloads)
	}
	for code, n := range c.Codes {
		if code >= 500 {
			t.Errorf("callers saw %d answers %d during the release, want none (by code %v)", n, code, c.Codes)
		}
	}
	t.Logf("during the release: %d requests, by workload %v, by code %v, mirrored %v", c.Requests, c.Workloads, c.Codes, c.Mirrored)
	a.checkNoNotifications()
}
