package istio

import (
	"slices"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// PrimarySubset is the subset the routes send the primary's weight to:
// config.SubsetPrimary in a rollout, the subset of the primary slot t.Slot
// in a swap.
func (t Target) PrimarySubset() string {
	if t.Slot == "" {
		return config.SubsetPrimary
	}
	return t.Slot.Subset()
}

// CanarySubset is the subset the routes send the canary's weight to:
// config.SubsetCanary in a rollout, the subset of the slot that is not
// t.Slot in a swap.
func (t Target) CanarySubset() string {
	if t.Slot == "" {
		return config.SubsetCanary
	}
	return t.Slot.Other().Subset()
}

// ourSubsets names every subset meshcanary writes in either promotion
// mode: primary and canary in a rollout, the two slots' in a swap.
var ourSubsets = []string{config.SubsetPrimary, config.SubsetCanary, config.SlotA.Subset(), config.SlotB.Subset()}

// isOurSubset reports whether a subset name is one meshcanary writes, in
// either mode, so that a route written in one mode is still meshcanary's
// to rewrite in the other and to restore on opt-out.
func isOurSubset(name string) bool {
	return slices.Contains(ourSubsets, name)
}

// isMirrorSubset reports whether a mirror to the subset called name is
// meshcanary's: it mirrors to the canary's subset, which in a swap is
// either slot's (a promotion swaps them), and never to
// config.SubsetPrimary.
func isMirrorSubset(name string) bool {
	return name != config.SubsetPrimary && isOurSubset(name)
}
