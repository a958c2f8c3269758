package meshsim

import (
	"slices"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// virtualServiceFor returns the VirtualService sidecars use for a host: one
// bound to the mesh gateway whose hosts match fqdn, an exact host before a
// wildcard, the oldest first when several tie (as istiod does). It returns
// nil when there is none.
func virtualServiceFor(m Mesh, fqdn string) *networkingv1.VirtualService {
	var best *networkingv1.VirtualService
	bestQuality := noMatch
	for _, vs := range m.VirtualServices(fqdn) {
		if gws := vs.Spec.GetGateways(); len(gws) > 0 && !slices.Contains(gws, meshGateway) {
			continue
		}
		q := noMatch
		for _, h := range vs.Spec.GetHosts() {
			q = max(q, hostMatch(h, vs.Namespace, fqdn))
		}
		if q > bestQuality || q == bestQuality && q != noMatch && older(&vs.ObjectMeta, &best.ObjectMeta) {
			best, bestQuality = vs, q
		}
	}
	return best
}

// destinationRuleFor returns the DestinationRule of a service: one in the
// service's namespace whose host matches, exact before wildcard, oldest
// first. It returns nil when there is none.
func destinationRuleFor(m Mesh, ref ServiceRef) *networkingv1.DestinationRule {
	fqdn := ref.FQDN()
	var best *networkingv1.DestinationRule
	bestQuality := noMatch
	for _, dr := range m.DestinationRules(ref.Namespace) {
		q := hostMatch(dr.Spec.GetHost(), dr.Namespace, fqdn)
		if q > bestQuality || q == bestQuality && q != noMatch && older(&dr.ObjectMeta, &best.ObjectMeta) {
			best, bestQuality = dr, q
		}
	}
	return best
}

// subsetLabels returns the labels of a named subset of the service's
// DestinationRule, and false when no DestinationRule defines it.
func subsetLabels(m Mesh, ref ServiceRef, subset string) (map[string]string, bool) {
	dr := destinationRuleFor(m, ref)
	if dr == nil {
		return nil, false
	}
	for _, s := range dr.Spec.GetSubsets() {
		if s.GetName() == subset {
			return s.GetLabels(), true
		}
	}
	return nil, false
}

// older orders objects by creation time, then namespace and name, so that
// ties between rules are broken the same way on every request.
func older(a, b *metav1.ObjectMeta) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}
