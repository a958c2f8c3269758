package meshsim

import (
	"math/rand/v2"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// delegateLookup is implemented by a Mesh that can find a VirtualService
// by name, as delegation needs (a delegate child has no hosts to look it
// up by). A Mesh without it answers delegate routes with 503 NC.
type delegateLookup interface {
	// VirtualService returns the VirtualService namespace/name, if it
	// exists.
	VirtualService(namespace, name string) (*networkingv1.VirtualService, bool)
}

// VirtualService implements delegateLookup.
func (w *watch) VirtualService(namespace, name string) (*networkingv1.VirtualService, bool) {
	l := w.of(namespace)
	if l == nil {
		return nil, false
	}
	obj, ok, _ := l.vss.GetByKey(namespace + "/" + name)
	if !ok {
		return nil, false
	}
	vs, ok := obj.(*networkingv1.VirtualService)
	return vs, ok
}

// VirtualService implements delegateLookup with the proxy's own view.
func (m proxyMesh) VirtualService(namespace, name string) (*networkingv1.VirtualService, bool) {
	vs, ok := m.view.vss["VirtualService/"+namespace+"/"+name]
	return vs, ok
}

// requestHost is the host a request asks for: its Host when set (through
// a gateway), else the FQDN of its service.
func requestHost(req Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.Service.FQDN()
}

// virtualServiceForGateway returns the VirtualService a gateway's Envoy
// uses for host: one bound to the gateway (namespace/name; a gateway named
// without a namespace in a VirtualService is in the VirtualService's)
// whose hosts match, an exact host before a wildcard, the oldest first.
func virtualServiceForGateway(m Mesh, gateway, host string) *networkingv1.VirtualService {
	var best *networkingv1.VirtualService
	bestQuality := noMatch
	for _, vs := range m.VirtualServices(host) {
		if !boundTo(vs.Spec.GetGateways(), vs.Namespace, gateway) {
			continue
		}
		q := noMatch
		for _, h := range vs.Spec.GetHosts() {
			q = max(q, hostMatch(h, vs.Namespace, host))
		}
		if q > bestQuality || q == bestQuality && q != noMatch && older(&vs.ObjectMeta, &best.ObjectMeta) {
			best, bestQuality = vs, q
		}
	}
	return best
}

// boundTo reports whether gateways, as written in a VirtualService of
// namespace ns, include gateway (namespace/name).
func boundTo(gateways []string, ns, gateway string) bool {
	return slices.ContainsFunc(gateways, func(g string) bool {
		if g == meshGateway {
			return false
		}
		if !strings.Contains(g, "/") {
			g = ns + "/" + g
		}
		return g == gateway
	})
}

// routeVirtualService routes req with the http routes of vs, a
// VirtualService of namespace vs.Namespace: the first route whose match
// applies, following a delegate route to its child (the child's routes,
// tried in order, must match too; Istio merges the two matches). depth
// stops delegation chains, which Istio does not allow.
func routeVirtualService(m Mesh, req Request, vs *networkingv1.VirtualService, port uint32, rnd *rand.Rand, depth int) (Decision, bool) {
	for _, r := range vs.Spec.GetHttp() {
		if !routeMatches(r.GetMatch(), req, port) {
			continue
		}
		d := r.GetDelegate()
		if d == nil {
			return takeRoute(m, req, r, vs.Namespace, rnd), true
		}
		ns := d.GetNamespace()
		if ns == "" {
			ns = vs.Namespace
		}
		lookup, ok := m.(delegateLookup)
		var child *networkingv1.VirtualService
		if ok {
			child, ok = lookup.VirtualService(ns, d.GetName())
		}
		if !ok || depth > 0 || len(child.Spec.GetHosts()) > 0 {
			return localReply(req.Service, 503, FlagNoCluster), true
		}
		if dec, ok := routeVirtualService(m, req, child, port, rnd, depth+1); ok {
			return dec, true
		}
		return localReply(req.Service, 404, FlagNoRoute), true
	}
	return Decision{}, false
}

// gatewayAllowed reports whether the gateways of a match block allow req:
// none (the VirtualService's apply), "mesh" for a request from a sidecar,
// or the gateway it enters through (a name without a namespace read in
// the gateway's own namespace).
func gatewayAllowed(gateways []string, req Request) bool {
	if len(gateways) == 0 {
		return true
	}
	if req.Gateway == "" {
		return slices.Contains(gateways, meshGateway)
	}
	ns, _, _ := strings.Cut(req.Gateway, "/")
	return boundTo(gateways, ns, req.Gateway)
}
