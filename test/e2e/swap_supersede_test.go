//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestSwapSupersedeUnderWeightWaitsForTheDrain changes the template while
// the canary's slot of an app promoted by role swap takes traffic: the
// weight goes to 0 first, the slot keeps the superseded template for the
// scale-down delay (Envoy proxies that have not seen that route yet may
// still send it requests), then takes the newest one, which is promoted.
func TestSwapSupersedeUnderWeightWaitsForTheDrain(t *testing.T) {
	t.Parallel()
	const ns, delay = "swap-supersede", 3 * time.Second
	slots := watchSlots(t, "e2e-"+ns)
	a := newApp(t, ns).Steps("20,50").StepInterval("10s").Set(config.KeyScaleDownDelay, delay.String()).
		Set(config.KeyPromotion, string(config.PromotionSwap)).Create()
	rev2 := a.SetImage("example.com/web:v2")
	a.waitStep(rev2, 1)
	canary := config.SlotB // slot a is the primary from adoption
	rev3 := a.SetImage("example.com/web:v3")
	final := a.waitPhase(rev3, stepper.PhaseSucceeded)
	if final.Superseded != 1 || final.PrimarySlot != canary {
		t.Errorf("final status: superseded %d, primary slot %q; want 1 and %q", final.Superseded, final.PrimarySlot, canary)
	}

	var superseded time.Time
	for _, v := range a.rec.vsHistory(appName) {
		if v.VS == nil {
			continue
		}
		if s, ok, _ := stepper.DecodeStatus(v.VS.Annotations); ok && s.Reason == stepper.ReasonSuperseded && s.Revision == rev3 {
			superseded = v.At
			break
		}
	}
	retemplated, ok := slots.firstRunning(canary, rev3)
	switch {
	case superseded.IsZero():
		t.Fatalf("no VirtualService version recorded the supersede of %s by %s", rev2, rev3)
	case !ok:
		t.Fatalf("slot %s never ran %s", canary, rev3)
	}
	// Both times are when this test's watches saw the writes; 0.5 s covers
	// their delivery.
	if gap := retemplated.Sub(superseded); gap < delay-500*time.Millisecond {
		t.Errorf("slot %s took the new template %s after the supersede's weight 0, want at least the scale-down delay (%s)",
			canary, gap.Round(time.Millisecond), delay)
	} else {
		t.Logf("slot %s took the new template %s after the supersede's weight 0 (scale-down delay %s)", canary, gap.Round(time.Millisecond), delay)
	}
}
