//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// downtime is how long the controller stays dead in the middle of a step.
const downtime = 5 * time.Second

// TestControllerKilledMidStepResumes kills the controller with SIGKILL in
// the middle of a step and starts it again: nothing changes while it is
// down, the same step resumes with its original start (so its bake time is
// honoured, not restarted), the weight never goes back or skips a step, and
// the release finishes. It runs alone: the controller is shared.
func TestControllerKilledMidStepResumes(t *testing.T) {
	t.Cleanup(func() {
		if !env.controller.Running() {
			must(t, "restarting the controller after the test", env.controller.Start())
		}
	})
	const stepInterval = 20 * time.Second
	a := newApp(t, "restart").Steps("10,30,60").StepInterval(stepInterval.String()).Create()
	rev := a.SetImage("example.com/web:v2")
	atKill := a.waitStep(rev, 2)
	time.Sleep(time.Until(atKill.StepStart.Add(stepInterval / 2))) // an action: kill in the middle of the step
	must(t, "killing the controller", env.controller.Kill())
	killed, _ := a.rec.latest()

	time.Sleep(downtime) // an action of the scenario, not a check: the controller is down for a while
	if now, _ := a.rec.latest(); now.Raw != killed.Raw {
		t.Errorf("the status changed while the controller was dead:\nbefore %s\nafter  %s", killed.Raw, now.Raw)
	}
	must(t, "restarting the controller", env.controller.Start())
	a.waitPhase(rev, stepper.PhaseSucceeded)

	var step3Start time.Time
	for _, v := range a.rec.statusHistory() {
		s := v.Status
		if s.Revision != rev || s.Phase != stepper.PhaseProgressing {
			continue
		}
		if s.Step == 2 && !s.StepStart.Equal(*atKill.StepStart) {
			t.Errorf("step 2 restarted: its start moved from %s to %s", atKill.StepStart, s.StepStart)
		}
		if s.Step == 3 && step3Start.IsZero() {
			step3Start = *s.StepStart
		}
	}
	if step3Start.Before(atKill.StepStart.Add(stepInterval)) {
		t.Errorf("step 3 began at %s, before step 2's bake time of %s from %s was over", step3Start, stepInterval, atKill.StepStart)
	}
	if diff := cmp.Diff([]string{"step 1/3 weight 10/100", "step 2/3 weight 30/100", "step 3/3 weight 60/100"}, a.stepsOf(rev)); diff != "" {
		t.Errorf("steps in the status (-want +got):\n%s", diff)
	}
	want := []string{"primary", split(90, 10), split(70, 30), split(40, 60), "primary"}
	if diff := cmp.Diff(want, routes(routeStates(a.rec.vsHistory(appName), 0))); diff != "" {
		t.Errorf("every route the VirtualService held, in order (-want +got):\n%s", diff)
	}
}
