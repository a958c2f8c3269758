package istio

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// Target names the service and owner of the routes.
type Target struct {
	// Namespace of the Deployment, the Service and the routing objects.
	Namespace string
	// Service is the name of the Service to split.
	Service string
	// Deployment is the user's Deployment; it is recorded in
	// config.RoutesForAnnotation on every object meshcanary touches.
	Deployment string
	// Owner is set on the objects meshcanary creates; nil leaves them
	// without an owner reference (render, tests).
	Owner *metav1.OwnerReference
	// Slot is the slot running the primary of a Deployment promoted by role
	// swap (config.PromotionSwap): the routes send the primary's weight to
	// its subset and the canary's to the other slot's (see PrimarySubset,
	// CanarySubset). "" is a rollout, with the subsets primary and canary.
	Slot config.Slot
	// from is the namespace of the object whose hosts are read (see
	// seenFrom); "" is Namespace.
	from string
}

// seenFrom is t read from an object in namespace ns: a host without a dot
// in that object names a Service of ns, as Istio resolves it.
func (t Target) seenFrom(ns string) Target {
	t.from = ns
	return t
}

// Key is the Deployment as namespace/name.
func (t Target) Key() string {
	return t.Namespace + "/" + t.Deployment
}

// Routing is the desired traffic split and the strategy shaping it.
type Routing struct {
	Target
	// Weight is the canary weight out of Total; the primary gets
	// Total-Weight. Weight is clamped to [0, Total], and a Total below 1
	// routes the primary only.
	Weight, Total int32
	// Gateways and Hosts are used for a VirtualService meshcanary creates
	// (and keeps in step on one it owns); Hosts defaults to [Service].
	Gateways, Hosts []string
	// CanaryReady lets Shaping name the canary while Weight is 0 (a
	// match-only schedule, or mirroring before the first step). Set it only
	// while the canary is available and its subset is in the
	// DestinationRule; with Weight above 0 the strategy applies anyway.
	CanaryReady bool
	// Shaping adds A/B routes, a mirror and sticky sessions to the split;
	// the zero value adds none and removes those of an earlier Routing.
	Shaping Shaping
}

// MatchesHost reports whether host names the target's Service: "name.ns",
// "name.ns.svc" or "name.ns.svc.cluster.local", or the short "name" when it
// is read in the target's namespace. Istio expands a host without a dot to
// name.<namespace of the VirtualService>.svc.cluster.local
// (ResolveShortnameToFQDN), so "reviews" in a VirtualService of
// istio-system is reviews.istio-system, another Service. Wildcards never
// match.
func MatchesHost(host string, t Target) bool {
	if t.Service == "" {
		return false
	}
	qualified := t.Service + "." + t.Namespace
	switch host {
	case qualified, qualified + ".svc", qualified + ".svc.cluster.local":
		return true
	case t.Service:
		return t.from == "" || t.from == t.Namespace
	}
	return false
}

// hosts is the hosts list of a VirtualService meshcanary creates.
func (r Routing) hosts() []string {
	if len(r.Hosts) == 0 {
		return []string{r.Service}
	}
	return slices.Clone(r.Hosts)
}

// ownedMeta is the metadata of an object meshcanary creates for t.
func ownedMeta(t Target) metav1.ObjectMeta {
	m := metav1.ObjectMeta{
		Name:        t.Service,
		Namespace:   t.Namespace,
		Labels:      map[string]string{config.ManagedByLabel: config.ManagedByValue},
		Annotations: map[string]string{config.RoutesForAnnotation: t.Deployment},
	}
	if t.Owner != nil {
		m.OwnerReferences = []metav1.OwnerReference{*t.Owner.DeepCopy()}
	}
	return m
}

// owned reports whether meshcanary created the object and deletes it when
// done with it.
func owned(m metav1.ObjectMeta) bool {
	return m.Labels[config.ManagedByLabel] == config.ManagedByValue
}

// markRoutesFor records on m (a copy) that meshcanary manages routes or
// subsets in it for t's Deployment: its name in the Deployment's
// namespace, namespace/name in any other.
func markRoutesFor(m *metav1.ObjectMeta, t Target) {
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[config.RoutesForAnnotation] = routesForValue(m.Namespace, t)
}

// routesForValue is the value of config.RoutesForAnnotation for t on an
// object in namespace ns.
func routesForValue(ns string, t Target) string {
	if ns == t.Namespace {
		return t.Deployment
	}
	return t.Key()
}

// routesFor reports whether m is marked as managed for t's Deployment.
func routesFor(m metav1.ObjectMeta, t Target) bool {
	v, ok := m.Annotations[config.RoutesForAnnotation]
	return ok && v == routesForValue(m.Namespace, t)
}
