package istio

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/meshcanary/meshcanary/pkg/config"
)

func TestTargetSubsets(t *testing.T) {
	tests := map[string]struct {
		target                  Target
		wantPrimary, wantCanary string
	}{
		"a rollout routes primary and canary": {target: shop, wantPrimary: "primary", wantCanary: "canary"},
		"slot a as the primary":               {target: slotted(config.SlotA), wantPrimary: "slot-a", wantCanary: "slot-b"},
		"slot b as the primary":               {target: slotted(config.SlotB), wantPrimary: "slot-b", wantCanary: "slot-a"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.target.PrimarySubset(); got != tc.wantPrimary {
				t.Errorf("PrimarySubset = %q, want %q", got, tc.wantPrimary)
			}
			if got := tc.target.CanarySubset(); got != tc.wantCanary {
				t.Errorf("CanarySubset = %q, want %q", got, tc.wantCanary)
			}
		})
	}
}

func TestSwapSubsetsReady(t *testing.T) {
	both := DesiredDestinationRule(nil, slotted(config.SlotA), "")
	slotAOnly := both.DeepCopy()
	slotAOnly.Spec.Subsets = slotAOnly.Spec.Subsets[:1]
	wrongLabel := both.DeepCopy()
	wrongLabel.Spec.Subsets[1].Labels = map[string]string{config.SlotLabel: "a"}
	rollout := DesiredDestinationRule(nil, shop, "abc")
	tests := map[string]struct {
		dr   *networkingv1.DestinationRule
		slot config.Slot
		hash string
		want bool
	}{
		"both slot subsets are ready with slot a as the primary": {dr: both, slot: config.SlotA, want: true},
		"both slot subsets are ready with slot b as the primary": {dr: both, slot: config.SlotB, want: true},
		"a canary hash is ignored":                               {dr: both, slot: config.SlotA, hash: "abc", want: true},
		"the primary slot's subset alone is not ready":           {dr: slotAOnly, slot: config.SlotA, want: false},
		"a slot subset selecting the other slot is not ready":    {dr: wrongLabel, slot: config.SlotB, want: false},
		"a rollout's subsets are not ready for a swap":           {dr: rollout, slot: config.SlotA, hash: "abc", want: false},
		"slot subsets are not ready for a rollout":               {dr: both, hash: "", want: false},
		"no DestinationRule is not ready":                        {dr: nil, slot: config.SlotA, want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := SubsetsReady(tc.dr, slotted(tc.slot), tc.hash); got != tc.want {
				t.Errorf("SubsetsReady = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSwapObserveRouting(t *testing.T) {
	written := func(t *testing.T, r Routing) *networkingv1.VirtualService {
		return DesiredVirtualService(loadVS(t, "user-vs-header-match.yaml"), r)
	}
	tests := map[string]struct {
		vs         func(t *testing.T) *networkingv1.VirtualService
		target     Target
		wantRouted bool
		wantWeight int32
	}{
		"routes for slot a at weight 0 are routed for slot a": {
			vs:     func(t *testing.T) *networkingv1.VirtualService { return written(t, swapRouting(config.SlotA, 0, 1000)) },
			target: slotted(config.SlotA), wantRouted: true,
		},
		"routes for slot a at 0.5 % are routed for slot a at 5": {
			vs:     func(t *testing.T) *networkingv1.VirtualService { return written(t, swapRouting(config.SlotA, 5, 1000)) },
			target: slotted(config.SlotA), wantRouted: true, wantWeight: 5,
		},
		"routes for slot a at 0.5 % are not routed for slot b": {
			vs:     func(t *testing.T) *networkingv1.VirtualService { return written(t, swapRouting(config.SlotA, 5, 1000)) },
			target: slotted(config.SlotB),
		},
		"routes for slot a at weight 0 are not routed for slot b": {
			vs:     func(t *testing.T) *networkingv1.VirtualService { return written(t, swapRouting(config.SlotA, 0, 1000)) },
			target: slotted(config.SlotB),
		},
		"routes for slot b at 50 % are routed for slot b at 500": {
			vs: func(t *testing.T) *networkingv1.VirtualService {
				return written(t, swapRouting(config.SlotB, 500, 1000))
			},
			target: slotted(config.SlotB), wantRouted: true, wantWeight: 500,
		},
		"a rollout's routes are not routed for a swap": {
			vs:     func(t *testing.T) *networkingv1.VirtualService { return written(t, routing(5, 1000)) },
			target: slotted(config.SlotA),
		},
		"a swap's routes are not routed for a rollout": {
			vs:     func(t *testing.T) *networkingv1.VirtualService { return written(t, swapRouting(config.SlotA, 5, 1000)) },
			target: shop,
		},
		"one route for slot b next to routes for slot a is not routed": {
			vs: func(t *testing.T) *networkingv1.VirtualService {
				vs := written(t, swapRouting(config.SlotA, 5, 1000))
				vs.Spec.Http[2] = written(t, swapRouting(config.SlotB, 5, 1000)).Spec.Http[2]
				return vs
			},
			target: slotted(config.SlotA),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			vs := tc.vs(t)
			routed, weight := ObserveRouting(vs, tc.target)
			if routed != tc.wantRouted || weight != tc.wantWeight {
				t.Errorf("ObserveRouting = (%v, %d), want (%v, %d)", routed, weight, tc.wantRouted, tc.wantWeight)
			}
			routed, weight = ObserveRoutingAll([]*networkingv1.VirtualService{vs, vs}, tc.target)
			if routed != tc.wantRouted || weight != tc.wantWeight {
				t.Errorf("ObserveRoutingAll = (%v, %d), want (%v, %d)", routed, weight, tc.wantRouted, tc.wantWeight)
			}
		})
	}
}

func TestSwapRewritesTheRoutesOfTheOtherMode(t *testing.T) {
	tests := map[string]struct {
		from, to Routing
	}{
		"a rollout's routes move to the slots":               {from: routing(5, 100), to: swapRouting(config.SlotA, 5, 100)},
		"a swap's routes move back to primary and canary":    {from: swapRouting(config.SlotB, 5, 100), to: routing(5, 100)},
		"a promotion routes everything to the former canary": {from: swapRouting(config.SlotA, 50, 100), to: swapRouting(config.SlotB, 0, 100)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for _, fixture := range []string{"user-vs-header-match.yaml", "user-vs-tcp.yaml", "user-vs-tls.yaml"} {
				user := loadVS(t, fixture)
				got := DesiredVirtualService(DesiredVirtualService(user, tc.from), tc.to)
				if want := DesiredVirtualService(user, tc.to); !VirtualServiceEqual(got, want) {
					t.Errorf("%s: rewritten (-fresh +rewritten):\n%s", fixture, cmp.Diff(want.Spec.String(), got.Spec.String()))
				}
				if skipped := SkippedRoutes(DesiredVirtualService(user, tc.from), tc.to.Target); len(skipped) > 0 {
					t.Errorf("%s: SkippedRoutes = %v, want none", fixture, skipped)
				}
			}
		})
	}
}

func TestSwapPromotionMovesTheMirrorToTheNewCanary(t *testing.T) {
	mirror := Shaping{Mirror: halfPct}
	before := Routing{Target: slotted(config.SlotA), Weight: 5, Total: 100, CanaryReady: true, Shaping: mirror}
	after := Routing{Target: slotted(config.SlotB), Total: 100, CanaryReady: true, Shaping: mirror}
	user := loadVS(t, "user-vs-fqdn.yaml")
	mirrored := DesiredVirtualService(user, before)
	if got := DesiredVirtualService(mirrored, after); !VirtualServiceEqual(got, DesiredVirtualService(user, after)) {
		t.Errorf("the mirror to slot-b outlived the promotion to slot b:\n%s", got.Spec.String())
	}
	unshaped := Routing{Target: slotted(config.SlotB), Total: 100}
	if got := DesiredVirtualService(mirrored, unshaped); !VirtualServiceEqual(got, DesiredVirtualService(user, unshaped)) {
		t.Errorf("the mirror to slot-b outlived its strategy:\n%s", got.Spec.String())
	}
}

func TestSwapReferencedSubsets(t *testing.T) {
	mirrored := DesiredVirtualService(loadVS(t, "user-vs-fqdn.yaml"),
		Routing{Target: slotted(config.SlotB), Total: 100, CanaryReady: true, Shaping: Shaping{Mirror: halfPct}})
	stale := DesiredVirtualService(loadVS(t, "user-vs-header-match.yaml"), swapRouting(config.SlotA, 5, 100))
	stale.Spec.Http[2].Route[0].Destination.Subset = config.SubsetPrimary
	stale.Spec.Http[2].Route[1].Destination.Subset = config.SubsetCanary
	tests := map[string]struct {
		vs   *networkingv1.VirtualService
		want []string
	}{
		"the primary slot alone is named at weight 0": {vs: DesiredVirtualService(nil, swapRouting(config.SlotB, 0, 100)), want: []string{"slot-b"}},
		"both slots are named while split":            {vs: DesiredVirtualService(loadVS(t, "user-vs-tcp.yaml"), swapRouting(config.SlotA, 1, 100)), want: []string{"slot-a", "slot-b"}},
		"a mirror to the canary slot names it":        {vs: mirrored, want: []string{"slot-a", "slot-b"}},
		"a route a rollout wrote is still named":      {vs: stale, want: []string{"canary", "primary", "slot-a", "slot-b"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for _, target := range []Target{shop, slotted(config.SlotA), slotted(config.SlotB)} {
				if diff := cmp.Diff(sets.New(tc.want...), ReferencedSubsets(tc.vs, target)); diff != "" {
					t.Errorf("ReferencedSubsets for slot %q (-want +got):\n%s", target.Slot, diff)
				}
			}
		})
	}
}

func TestSwapRestoreRemovesEveryMeshcanarySubset(t *testing.T) {
	userDR := loadDR(t, "user-dr.yaml")
	both := DesiredDestinationRule(DesiredDestinationRule(userDR, shop, "abc"), slotted(config.SlotA), "")
	tests := map[string]struct {
		target Target
	}{
		"restored as a rollout":        {target: shop},
		"restored with slot a primary": {target: slotted(config.SlotA)},
		"restored with slot b primary": {target: slotted(config.SlotB)},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := RestoredDestinationRule(both, tc.target); !DestinationRuleEqual(got, userDR) {
				t.Errorf("restored DestinationRule (-user +restored):\n%s", cmp.Diff(userDR.Spec.String(), got.Spec.String()))
			}
			if got := RestoredDestinationRule(DesiredDestinationRule(nil, slotted(config.SlotA), ""), tc.target); got != nil {
				t.Errorf("RestoredDestinationRule of an owned DestinationRule = %v, want nil (delete)", got)
			}
			for _, fixture := range []string{"user-vs-fqdn.yaml", "user-vs-tcp.yaml", "user-vs-mixed.yaml"} {
				user := loadVS(t, fixture)
				for _, slot := range slots {
					for _, weight := range []int32{0, 1, 99, 100} {
						patched := DesiredVirtualService(user, swapRouting(slot, weight, 100))
						if got := RestoredVirtualService(patched, tc.target); !VirtualServiceEqual(got, user) {
							t.Errorf("%s, slot %s at %d: restored VirtualService (-user +restored):\n%s",
								fixture, slot, weight, cmp.Diff(user.Spec.String(), got.Spec.String()))
						}
					}
				}
			}
		})
	}
}

// TestSwapDestinationRuleKeepsTheTrafficPolicyOfASlotSubset checks that a
// slot subset already in a user DestinationRule is updated in place.
func TestSwapDestinationRuleKeepsTheTrafficPolicyOfASlotSubset(t *testing.T) {
	live := loadDR(t, "user-dr.yaml")
	live.Spec.Subsets[0].Name = config.SlotB.Subset()
	got := DesiredDestinationRule(live, slotted(config.SlotA), "")
	if diff := cmp.Diff([]string{"slot-b", "slot-a"}, subsetNames(got)); diff != "" {
		t.Errorf("subsets (-want +got):\n%s", diff)
	}
	b := got.Spec.Subsets[0]
	if !cmp.Equal(b.GetLabels(), map[string]string{config.SlotLabel: "b"}) || b.GetTrafficPolicy() == nil {
		t.Errorf("slot-b subset = %v, want labels {%s: b} and its own trafficPolicy", b, config.SlotLabel)
	}
}
