//go:build e2e

package e2e

import (
	"slices"
	"testing"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestInvalidConfigMidReleaseRollsBackAfterMaxHold breaks the steps
// annotation in the middle of a long step: the release holds at the weight
// it had, then rolls back to weight 0 once max-hold is over, instead of
// freezing the canary's weight until someone fixes the annotation.
func TestInvalidConfigMidReleaseRollsBackAfterMaxHold(t *testing.T) {
	t.Parallel()
	a := newApp(t, "invalid-mid-release").Steps("20,50").StepInterval("5m").Set(config.KeyMaxHold, "8s").Create()
	rev := a.SetImage("example.com/web:v2")
	a.waitStep(rev, 1)
	a.Annotate(config.Prefix+config.KeySteps, "20,abc")
	final := a.waitPhase(rev, stepper.PhaseFailed)

	if final.Reason != stepper.ReasonHoldTimeout || final.ConfigError == "" {
		t.Errorf("the release ended %s with reason %s and configError %q, want a %s with the configuration error kept",
			final.Phase, final.Reason, final.ConfigError, stepper.ReasonHoldTimeout)
	}
	held := false
	for _, v := range a.rec.statusHistory() {
		s := v.Status
		held = held || (s.Revision == rev && s.Phase == stepper.PhaseProgressing && s.Step == 1 &&
			s.ConfigError != "" && s.HoldSince != nil && s.Weight == 20)
	}
	if !held {
		t.Errorf("no status showed step 1 holding at weight 20 with the configuration error before the rollback")
	}
	want := []string{"primary", split(80, 20), "primary"}
	if got := routes(routeStates(a.rec.vsHistory(appName), 0)); !slices.Equal(got, want) {
		t.Errorf("routes of the VirtualService %q, want %q", got, want)
	}
}
