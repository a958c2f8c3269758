package istio

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// slotted is shop promoted by role swap with slot s running the primary.
func slotted(s config.Slot) Target {
	t := shop
	t.Slot = s
	return t
}

// swapRouting is shop, promoted by role swap with slot s running the
// primary, routed with weight out of total.
func swapRouting(s config.Slot, weight, total int32) Routing {
	return Routing{Target: slotted(s), Weight: weight, Total: total}
}

func TestSwapVirtualServiceMatchesGoldenFiles(t *testing.T) {
	tests := map[string]vsGolden{
		"a user VirtualService with slot b as the primary sends A/B, sticky and mirrored traffic to slot-a": {
			golden: "swap-user-vs-header-match-combined-b-25-of-100", fixture: "user-vs-header-match.yaml",
			routing: Routing{Target: slotted(config.SlotB), Weight: 25, Total: 100, CanaryReady: true,
				Shaping: Shaping{Match: []Condition{insiders}, Mirror: halfPct, Sticky: session}},
		},
	}
	// A created VirtualService at weight 0, 0.5 % and half, with each slot
	// as the primary.
	for _, s := range []config.Slot{config.SlotA, config.SlotB} {
		p, c := string(s), string(s.Other())
		tests["slot "+p+" as the primary at weight 0 routes slot-"+p+" alone"] = vsGolden{
			golden: "swap-created-vs-" + p + "-0-of-100", routing: swapRouting(s, 0, 100),
		}
		tests["slot "+p+" as the primary at 0.5 % sends 995 to slot-"+p+" and 5 to slot-"+c] = vsGolden{
			golden: "swap-created-vs-" + p + "-5-of-1000", routing: swapRouting(s, 5, 1000),
		}
		tests["slot "+p+" as the primary at 50 of 100 splits slot-"+p+" and slot-"+c+" evenly"] = vsGolden{
			golden: "swap-created-vs-" + p + "-50-of-100", routing: swapRouting(s, 50, 100),
		}
	}
	checkVirtualServiceGoldens(t, tests)
}

func TestSwapDestinationRuleMatchesGoldenFiles(t *testing.T) {
	tests := map[string]struct {
		golden string
		live   func(t *testing.T) *networkingv1.DestinationRule
		slot   config.Slot
	}{
		"a created DestinationRule has both slot subsets, whichever slot is the primary": {
			golden: "swap-created-dr", slot: config.SlotB,
			live: func(*testing.T) *networkingv1.DestinationRule { return nil },
		},
		"a user DestinationRule keeps its trafficPolicy, subset, labels and annotations and gets both slot subsets": {
			golden: "swap-user-dr", slot: config.SlotA,
			live: func(t *testing.T) *networkingv1.DestinationRule { return loadDR(t, "user-dr.yaml") },
		},
		"a user DestinationRule patched by a rollout keeps the primary and canary subsets a route may still name": {
			golden: "swap-user-dr-after-rollout", slot: config.SlotA,
			live: func(t *testing.T) *networkingv1.DestinationRule {
				return DesiredDestinationRule(loadDR(t, "user-dr.yaml"), shop, "7d9f8c6b5")
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			live, target := tc.live(t), slotted(tc.slot)
			// The canary hash plays no part in a swap: "ignored", then "".
			got := checkDesiredDestinationRule(t, live, target, "ignored", "")
			if other := DesiredDestinationRule(live, slotted(tc.slot.Other()), ""); !DestinationRuleEqual(other, got) {
				t.Errorf("DesiredDestinationRule depends on which slot is the primary")
			}
			if !SubsetsReady(got, target, "") {
				t.Errorf("SubsetsReady(desired) = false")
			}
			checkGolden(t, tc.golden, got)
		})
	}
}

func TestSwapRestoreMatchesGoldenFile(t *testing.T) {
	r := Routing{Target: slotted(config.SlotA), Weight: 5, Total: 100, CanaryReady: true,
		Shaping: Shaping{Match: []Condition{insiders}, Mirror: halfPct, Sticky: session}}
	patchedVS := DesiredVirtualService(loadVS(t, "user-vs-header-match.yaml"), r)
	patchedDR := DesiredDestinationRule(DesiredDestinationRule(loadDR(t, "user-dr.yaml"), shop, "7d9f8c6b5"), r.Target, "")
	// The opt-out restores with a Target that knows no slot.
	vs, dr := RestoredVirtualService(patchedVS, shop), RestoredDestinationRule(patchedDR, shop)
	checkGolden(t, "swap-restored-header-match", vs, dr)
	for _, s := range slots {
		if got := RestoredVirtualService(patchedVS, slotted(s)); !VirtualServiceEqual(got, vs) {
			t.Errorf("the VirtualService restored with slot %s differs from the one restored without a slot", s)
		}
		if got := RestoredDestinationRule(patchedDR, slotted(s)); !DestinationRuleEqual(got, dr) {
			t.Errorf("the DestinationRule restored with slot %s differs from the one restored without a slot", s)
		}
	}
}
