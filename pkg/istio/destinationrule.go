package istio

import (
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// DesiredDestinationRule is the DestinationRule meshcanary wants for t: live
// with the subsets primary (pods labelled config.RoleLabel=primary) and, when
// canaryHash is not "", canary (pods with that pod-template-hash). In a swap
// (t.Slot is not ""), canaryHash is ignored and the subsets are the two
// slots' (pods labelled config.SlotLabel=a, then b), always both; primary
// and canary subsets of a rollout are left as they are, for the routes that
// may still name them.
//
// A live DestinationRule (the user's or meshcanary's) is patched on a copy:
// its host, trafficPolicy, other subsets, labels and annotations are kept,
// the two subsets are updated in place (keeping a subset's own
// trafficPolicy) or appended, and config.RoutesForAnnotation is set. With no
// live one, a new DestinationRule named after the Service is returned.
//
// The caller passes the hash to keep while any route still names the canary
// subset (see ReferencedSubsets), so that a subset is removed only after no
// VirtualService names it.
func DesiredDestinationRule(live *networkingv1.DestinationRule, t Target, canaryHash string) *networkingv1.DestinationRule {
	var dr *networkingv1.DestinationRule
	if live == nil {
		dr = &networkingv1.DestinationRule{
			TypeMeta:   metav1.TypeMeta{APIVersion: networkingv1.SchemeGroupVersion.String(), Kind: "DestinationRule"},
			ObjectMeta: ownedMeta(t),
		}
		dr.Spec.Host = t.Service
	} else {
		dr = live.DeepCopy()
		markRoutesFor(&dr.ObjectMeta, t)
	}
	if t.Slot != "" {
		for _, s := range slots {
			dr.Spec.Subsets = upsertSubset(dr.Spec.Subsets, s.Subset(), slotLabels(s))
		}
		return dr
	}
	dr.Spec.Subsets = upsertSubset(dr.Spec.Subsets, config.SubsetPrimary, primaryLabels())
	if canaryHash == "" {
		dr.Spec.Subsets = withoutSubsets(dr.Spec.Subsets, config.SubsetCanary)
	} else {
		dr.Spec.Subsets = upsertSubset(dr.Spec.Subsets, config.SubsetCanary, canaryLabels(canaryHash))
	}
	return dr
}

// RestoredDestinationRule is live without meshcanary's subsets (those of
// either mode: primary, canary and the two slots') and annotation, for
// opt-out. It returns nil when meshcanary owns live (the caller deletes it)
// or live is nil.
func RestoredDestinationRule(live *networkingv1.DestinationRule, t Target) *networkingv1.DestinationRule {
	if live == nil || owned(live.ObjectMeta) {
		return nil
	}
	dr := live.DeepCopy()
	delete(dr.Annotations, config.RoutesForAnnotation)
	dr.Spec.Subsets = withoutSubsets(dr.Spec.Subsets, ourSubsets...)
	return dr
}

// SubsetsReady reports whether dr has the subsets DesiredDestinationRule
// writes for t: in a rollout the primary subset and, when canaryHash is not
// "", the canary subset selecting canaryHash; in a swap both slots'
// subsets, each selecting its slot (canaryHash is ignored).
func SubsetsReady(dr *networkingv1.DestinationRule, t Target, canaryHash string) bool {
	if dr == nil {
		return false
	}
	if t.Slot != "" {
		for _, s := range slots {
			if !hasSubset(dr.Spec.Subsets, s.Subset(), slotLabels(s)) {
				return false
			}
		}
		return true
	}
	if !hasSubset(dr.Spec.Subsets, config.SubsetPrimary, primaryLabels()) {
		return false
	}
	return canaryHash == "" || hasSubset(dr.Spec.Subsets, config.SubsetCanary, canaryLabels(canaryHash))
}

// DestinationRuleEqual reports whether a and b have the same spec, labels
// and annotations, so that a write of a over b can be skipped.
func DestinationRuleEqual(a, b *networkingv1.DestinationRule) bool {
	if a == nil || b == nil {
		return a == b
	}
	return proto.Equal(&a.Spec, &b.Spec) && metaEqual(a.ObjectMeta, b.ObjectMeta)
}

// metaEqual compares the labels and annotations of two objects.
func metaEqual(a, b metav1.ObjectMeta) bool {
	return maps.Equal(a.Labels, b.Labels) && maps.Equal(a.Annotations, b.Annotations)
}

func primaryLabels() map[string]string {
	return map[string]string{config.RoleLabel: config.RolePrimary}
}

func canaryLabels(hash string) map[string]string {
	return map[string]string{appsv1.DefaultDeploymentUniqueLabelKey: hash}
}

// slots are the slots of a swap, in the order of their subsets.
var slots = []config.Slot{config.SlotA, config.SlotB}

// slotLabels select the pods of slot s.
func slotLabels(s config.Slot) map[string]string {
	return map[string]string{config.SlotLabel: string(s)}
}

// upsertSubset sets the labels of the subset called name, appending the
// subset when there is none.
func upsertSubset(subsets []*apinetworkingv1.Subset, name string, labels map[string]string) []*apinetworkingv1.Subset {
	for _, s := range subsets {
		if s.GetName() == name {
			s.Labels = labels
			return subsets
		}
	}
	return append(subsets, &apinetworkingv1.Subset{Name: name, Labels: labels})
}

// withoutSubsets drops the subsets called names, keeping the others in
// order.
func withoutSubsets(subsets []*apinetworkingv1.Subset, names ...string) []*apinetworkingv1.Subset {
	kept := slices.DeleteFunc(slices.Clone(subsets), func(s *apinetworkingv1.Subset) bool {
		return slices.Contains(names, s.GetName())
	})
	if len(kept) == 0 {
		return nil
	}
	return kept
}

func hasSubset(subsets []*apinetworkingv1.Subset, name string, labels map[string]string) bool {
	return slices.ContainsFunc(subsets, func(s *apinetworkingv1.Subset) bool {
		return s.GetName() == name && maps.Equal(s.GetLabels(), labels)
	})
}

// CanaryHashOf returns the pod-template-hash the canary subset of a
// rollout (config.SubsetCanary) of dr selects, or "" when dr has no such
// subset, as in a swap, whose slot subsets select no hash.
func CanaryHashOf(dr *networkingv1.DestinationRule) string {
	if dr == nil {
		return ""
	}
	for _, s := range dr.Spec.Subsets {
		if s.GetName() == config.SubsetCanary {
			return s.GetLabels()[appsv1.DefaultDeploymentUniqueLabelKey]
		}
	}
	return ""
}
