package istio

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// Scope says which VirtualServices meshcanary may split for a target
// besides its home VirtualService.
type Scope struct {
	// Home is the name of the VirtualService in the target's namespace
	// that the caller splits itself (see FindVirtualService); Discover
	// leaves it out. "" leaves none out.
	Home string
	// Namespaces are the namespaces besides the target's own where the
	// operator lets meshcanary patch VirtualServices it does not own; "*"
	// allows every namespace.
	Namespaces []string
	// Listed, when not empty, are the only VirtualServices meshcanary may
	// split (meshcanary.io/virtual-services); a reference without a
	// namespace is in the target's.
	Listed []config.VirtualServiceRef
	// DestinationRule is the one with the subsets (nil: meshcanary creates
	// one, exported everywhere). Its exportTo must include the namespace of
	// a VirtualService that names its subsets.
	DestinationRule *networkingv1.DestinationRule
}

// allows reports whether the operator lets meshcanary patch
// VirtualServices in namespace ns for t.
func (s Scope) allows(ns string, t Target) bool {
	return ns == t.Namespace || slices.Contains(s.Namespaces, ns) || slices.Contains(s.Namespaces, "*")
}

// listed reports whether the VirtualService ns/name may be split under
// s.Listed.
func (s Scope) listed(ns, name string, t Target) bool {
	return len(s.Listed) == 0 || slices.ContainsFunc(s.Listed, func(r config.VirtualServiceRef) bool {
		return cmp.Or(r.Namespace, t.Namespace) == ns && r.Name == name
	})
}

// Verdict is what meshcanary does with a VirtualService that routes to the
// service.
type Verdict string

// The verdicts of Discover.
const (
	// Split: the VirtualService's routes to the service carry the weights.
	Split Verdict = "Split"
	// NotAllowed: its namespace is not one the operator allows.
	NotAllowed Verdict = "NotAllowed"
	// NotListed: meshcanary.io/virtual-services leaves it out.
	NotListed Verdict = "NotListed"
	// Unsafe: no split of it is safe; the reason says why.
	Unsafe Verdict = "Unsafe"
	// Missing: meshcanary.io/virtual-services lists it, and it does not
	// exist or routes nothing to the service.
	Missing Verdict = "Missing"
)

// Kind is the role of a VirtualService in Istio's routing.
type Kind string

// The kinds of VirtualServices, from their hosts and gateways.
const (
	// Mesh: bound to the sidecars (no gateways, or only "mesh").
	Mesh Kind = "mesh"
	// Ingress: bound to gateways only.
	Ingress Kind = "ingress"
	// MeshAndIngress: bound to the sidecars and gateways.
	MeshAndIngress Kind = "mesh and ingress"
	// Delegate: no hosts; a root VirtualService's delegate routes use its
	// http routes.
	Delegate Kind = "delegate"
)

// kindOf is vs's Kind.
func kindOf(vs *networkingv1.VirtualService) Kind {
	if len(vs.Spec.Hosts) == 0 {
		return Delegate
	}
	mesh := len(vs.Spec.Gateways) == 0 || slices.Contains(vs.Spec.Gateways, "mesh")
	gateways := slices.ContainsFunc(vs.Spec.Gateways, func(g string) bool { return g != "mesh" })
	switch {
	case mesh && gateways:
		return MeshAndIngress
	case gateways:
		return Ingress
	}
	return Mesh
}

// Reach is one VirtualService that routes to the service (or is listed to)
// and what meshcanary does with it.
type Reach struct {
	Namespace, Name string
	Kind            Kind
	Verdict         Verdict
	// Routes name the routes that carry the weights (Verdict Split), as
	// SkippedRoutes names routes.
	Routes []string
	// Skipped name the routes to the service that also send elsewhere; they
	// are left unchanged (see SkippedRoutes).
	Skipped []string
	// Roots are the root VirtualServices, namespace/name, seen delegating
	// to a Delegate.
	Roots []string
	// Reason says why a VirtualService is not split.
	Reason string
}

// Ref is the VirtualService as namespace/name.
func (r Reach) Ref() string {
	return r.Namespace + "/" + r.Name
}

// Message is what the user is told about a VirtualService that is not
// split, naming it and the service, or "" for one that is split.
func (r Reach) Message(service string) string {
	switch r.Verdict {
	case Split:
		return ""
	case Missing:
		return fmt.Sprintf("VirtualService %s in %s%s %s", r.Ref(), config.Prefix, config.KeyVirtualServices, r.Reason)
	}
	return fmt.Sprintf("%s VirtualService %s routes to %s without weights: its traffic reaches the canary by pod count (%s)",
		r.Kind, r.Ref(), service, r.Reason)
}

// Discover finds every VirtualService in all, in any namespace, that routes
// to t's service, other than s.Home, and says for each what meshcanary does
// with it, ordered by namespace and name. A VirtualService routes to the
// service when a destination of one of its routes names it as Istio
// resolves hosts in the VirtualService's namespace (see MatchesHost): a
// mesh VirtualService, one bound to gateways, or a delegate (no hosts). A
// root's delegate routes have no destinations; the root is never split
// unless it also routes to the service itself. A VirtualService exported to
// no namespace (exportTo "~") routes nothing.
//
// A VirtualService is split when s allows its namespace, s.Listed names it
// (or is empty), and it is safe: not controlled by another controller, not
// marked for another Deployment, at least one route sends to the service
// alone, and s.DestinationRule is exported to its namespace. A listed one
// that does not exist or routes nothing to the service is Missing.
func Discover(all []*networkingv1.VirtualService, t Target, s Scope) []Reach {
	var out []Reach
	found := map[string]bool{}
	for _, vs := range all {
		if vs.Namespace == t.Namespace && vs.Name == s.Home {
			continue
		}
		if !routesToService(vs, t) {
			continue
		}
		found[vs.Namespace+"/"+vs.Name] = true
		out = append(out, reach(vs, all, t, s))
	}
	for _, ref := range s.Listed {
		ns := cmp.Or(ref.Namespace, t.Namespace)
		if found[ns+"/"+ref.Name] || (ns == t.Namespace && ref.Name == s.Home) {
			continue
		}
		r := Reach{Namespace: ns, Name: ref.Name, Verdict: Missing, Reason: "does not exist"}
		if slices.ContainsFunc(all, func(vs *networkingv1.VirtualService) bool { return vs.Namespace == ns && vs.Name == ref.Name }) {
			r.Reason = "routes nothing to " + t.Service
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Reach) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// routesToService reports whether a destination of one of vs's routes
// names t's service and vs is visible to some namespace.
func routesToService(vs *networkingv1.VirtualService, t Target) bool {
	if len(vs.Spec.ExportTo) > 0 && !slices.ContainsFunc(vs.Spec.ExportTo, func(e string) bool { return e != "~" }) {
		return false
	}
	tv := t.seenFrom(vs.Namespace)
	return slices.ContainsFunc(vs.Spec.Http, func(r *apinetworkingv1.HTTPRoute) bool { return mentions(r.Route, tv) }) ||
		slices.ContainsFunc(vs.Spec.Tls, func(r *apinetworkingv1.TLSRoute) bool { return mentions(r.Route, tv) }) ||
		slices.ContainsFunc(vs.Spec.Tcp, func(r *apinetworkingv1.TCPRoute) bool { return mentions(r.Route, tv) })
}

// reach is the verdict on vs, which routes to t's service.
func reach(vs *networkingv1.VirtualService, all []*networkingv1.VirtualService, t Target, s Scope) Reach {
	r := Reach{Namespace: vs.Namespace, Name: vs.Name, Kind: kindOf(vs), Verdict: Split, Skipped: SkippedRoutes(vs, t)}
	if r.Kind == Delegate {
		r.Roots = rootsOf(vs, all)
	}
	r.Routes = splitRoutes(vs, t)
	switch {
	case !s.allows(vs.Namespace, t):
		r.Verdict, r.Reason = NotAllowed, notAllowedReason(vs.Namespace, t, s)
	case !s.listed(vs.Namespace, vs.Name, t):
		r.Verdict, r.Reason = NotListed, fmt.Sprintf("it is not in %s%s", config.Prefix, config.KeyVirtualServices)
	default:
		r.Reason = unsafeReason(vs, t, s, r)
		if r.Reason != "" {
			r.Verdict = Unsafe
		}
	}
	if r.Verdict != Split {
		r.Routes = nil
	}
	return r
}

// notAllowedReason says that the operator does not allow namespace ns.
func notAllowedReason(ns string, t Target, s Scope) string {
	allowed := append([]string{t.Namespace}, s.Namespaces...)
	return fmt.Sprintf("meshcanary may not patch VirtualServices in namespace %s: the operator allows %s",
		ns, strings.Join(allowed, ", "))
}

// unsafeReason says why splitting vs would not be safe, or "".
func unsafeReason(vs *networkingv1.VirtualService, t Target, s Scope, r Reach) string {
	if c := metav1.GetControllerOfNoCopy(vs); c != nil && !owned(vs.ObjectMeta) {
		return fmt.Sprintf("it is controlled by %s %s, which would undo the weights", c.Kind, c.Name)
	}
	if v, ok := vs.Annotations[config.RoutesForAnnotation]; ok && !routesFor(vs.ObjectMeta, t) {
		return fmt.Sprintf("%s says meshcanary splits it for Deployment %s", config.RoutesForAnnotation, v)
	}
	if len(r.Routes) == 0 {
		return fmt.Sprintf("every route to %s also sends elsewhere (%s), and no exact split of such a route exists",
			t.Service, strings.Join(r.Skipped, ", "))
	}
	for _, ns := range append([]string{vs.Namespace}, rootNamespaces(r.Roots)...) {
		if dr := s.DestinationRule; dr != nil && !exportedTo(dr.Spec.ExportTo, dr.Namespace, ns) {
			return fmt.Sprintf("DestinationRule %s/%s, which holds the subsets, is not exported to namespace %s (exportTo: %s)",
				s.DestinationRule.Namespace, s.DestinationRule.Name, ns, strings.Join(s.DestinationRule.Spec.ExportTo, ", "))
		}
	}
	return ""
}

// exportedTo reports whether Istio shows an object of namespace own with
// exportTo to namespace ns: no exportTo (the mesh default, "*"), "*", ns
// itself, or "." when ns is own. A nil DestinationRule is one meshcanary
// creates, without exportTo.
func exportedTo(exportTo []string, own, ns string) bool {
	if len(exportTo) == 0 {
		return true
	}
	return slices.ContainsFunc(exportTo, func(e string) bool {
		return e == "*" || e == ns || (e == "." && ns == own)
	})
}

// splitRoutes names the routes of vs that DesiredVirtualService splits for t.
func splitRoutes(vs *networkingv1.VirtualService, t Target) []string {
	t = t.seenFrom(vs.Namespace)
	var routes []string
	for i, route := range vs.Spec.Http {
		if !managed(route) && splittable(route.Route, t) {
			routes = append(routes, routeName("http", i, route.GetName()))
		}
	}
	for i, route := range vs.Spec.Tls {
		if splittable(route.Route, t) {
			routes = append(routes, routeName("tls", i, ""))
		}
	}
	for i, route := range vs.Spec.Tcp {
		if splittable(route.Route, t) {
			routes = append(routes, routeName("tcp", i, ""))
		}
	}
	return routes
}

// rootsOf names, as namespace/name, the VirtualServices in all with an http
// route delegating to child; a delegate without a namespace is in the
// root's, as Istio reads it. Istio ignores a delegation to a child not
// exported to the root's namespace, so such a root is not named.
func rootsOf(child *networkingv1.VirtualService, all []*networkingv1.VirtualService) []string {
	var roots []string
	for _, vs := range all {
		if !exportedTo(child.Spec.ExportTo, child.Namespace, vs.Namespace) {
			continue
		}
		if slices.ContainsFunc(vs.Spec.Http, func(r *apinetworkingv1.HTTPRoute) bool {
			d := r.GetDelegate()
			return d != nil && d.GetName() == child.Name && cmp.Or(d.GetNamespace(), vs.Namespace) == child.Namespace
		}) {
			roots = append(roots, vs.Namespace+"/"+vs.Name)
		}
	}
	slices.Sort(roots)
	return roots
}

// rootNamespaces are the namespaces of roots written namespace/name.
func rootNamespaces(roots []string) []string {
	out := make([]string, len(roots))
	for i, r := range roots {
		out[i], _, _ = strings.Cut(r, "/")
	}
	return out
}
