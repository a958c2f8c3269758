//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestANewRevisionMidReleaseSupersedesIt changes the template again while
// the canary takes traffic: the release routes back to the primary, starts
// again at step 0 for the newest revision, and promotes that one.
func TestANewRevisionMidReleaseSupersedesIt(t *testing.T) {
	t.Parallel()
	a := newApp(t, "supersede").Steps("20,50").StepInterval("10s").Create()
	rev2 := a.SetImage("example.com/web:v2")
	a.waitStep(rev2, 1)
	a.eventually("the v2 canary to take traffic", func() error {
		if got := describeRoute(a.virtualService(appName).Spec.Http[0].Route); got != split(80, 20) {
			return fmt.Errorf("route %q, want %q", got, split(80, 20))
		}
		return nil
	})
	rev3 := a.SetImage("example.com/web:v3")
	final := a.waitPhase(rev3, stepper.PhaseSucceeded)

	if final.Superseded != 1 {
		t.Errorf("status.superseded = %d, want 1", final.Superseded)
	}
	restarted := false
	for _, v := range a.rec.statusHistory() {
		s := v.Status
		restarted = restarted || (s.Reason == stepper.ReasonSuperseded && s.Revision == rev3 && s.Step == 0 && s.Weight == 0)
		if s.Revision == rev2 && s.Step > 1 {
			t.Errorf("the superseded revision reached step %d", s.Step)
		}
	}
	if !restarted {
		t.Errorf("no status showed the release of %s restarting at step 0 with weight 0 (reason %s)", rev3, stepper.ReasonSuperseded)
	}
	want := []string{"primary", split(80, 20), "primary", split(80, 20), split(50, 50), "primary"}
	if diff := cmp.Diff(want, routes(routeStates(a.rec.vsHistory(appName), 0))); diff != "" {
		t.Errorf("routes of the VirtualService, in order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"step 1/2 weight 20/100", "step 2/2 weight 50/100"}, a.stepsOf(rev3)); diff != "" {
		t.Errorf("steps of the newest revision (-want +got):\n%s", diff)
	}
	primary := a.deployment(primaryName)
	if got := primary.Spec.Template.Spec.Containers[0].Image; got != "example.com/web:v3" {
		t.Errorf("primary image = %q, want example.com/web:v3", got)
	}
	if got := primary.Annotations[config.RevisionAnnotation]; got != rev3 {
		t.Errorf("primary revision = %q, want %q", got, rev3)
	}
}
