package istio

import (
	"strings"

	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// ServiceOfHost resolves host, read in namespace ns, to the Kubernetes
// Service it names, as Istio does (see MatchesHost): "name" is name in ns,
// "name.other", "name.other.svc" and "name.other.svc.cluster.local" are
// name in other. ok is false for anything else: a wildcard, an external
// host, an empty host.
func ServiceOfHost(host, ns string) (namespace, name string, ok bool) {
	if host == "" || strings.Contains(host, "*") {
		return "", "", false
	}
	parts := strings.Split(host, ".")
	switch {
	case len(parts) == 1:
		return ns, parts[0], ns != ""
	case len(parts) == 2, len(parts) == 3 && parts[2] == "svc",
		len(parts) == 5 && parts[2] == "svc" && parts[3] == "cluster" && parts[4] == "local":
		return parts[1], parts[0], parts[0] != "" && parts[1] != ""
	}
	return "", "", false
}

// ServicesOf returns, as "namespace/name" and without duplicates, every
// Service vs names: in its hosts and in the destinations and mirrors of
// its http, tls and tcp routes, each resolved in vs's namespace. A
// VirtualService that routes to a Service, or serves its host, names it.
func ServicesOf(vs *networkingv1.VirtualService) []string {
	var out []string
	seen := map[string]bool{}
	add := func(host string) {
		if ns, name, ok := ServiceOfHost(host, vs.Namespace); ok && !seen[ns+"/"+name] {
			seen[ns+"/"+name] = true
			out = append(out, ns+"/"+name)
		}
	}
	for _, h := range vs.Spec.Hosts {
		add(h)
	}
	for _, r := range vs.Spec.Http {
		for _, d := range r.Route {
			add(d.GetDestination().GetHost())
		}
		add(r.GetMirror().GetHost())
		for _, m := range r.Mirrors {
			add(m.GetDestination().GetHost())
		}
	}
	for _, r := range vs.Spec.Tls {
		addL4(r.Route, add)
	}
	for _, r := range vs.Spec.Tcp {
		addL4(r.Route, add)
	}
	return out
}

func addL4(dsts []*apinetworkingv1.RouteDestination, add func(string)) {
	for _, d := range dsts {
		add(d.GetDestination().GetHost())
	}
}

// DelegatesOf returns, as "namespace/name", the VirtualServices vs's http
// routes delegate to; a delegate without a namespace is in vs's.
func DelegatesOf(vs *networkingv1.VirtualService) []string {
	var out []string
	for _, r := range vs.Spec.Http {
		if d := r.GetDelegate(); d != nil && d.GetName() != "" {
			ns := d.GetNamespace()
			if ns == "" {
				ns = vs.Namespace
			}
			out = append(out, ns+"/"+d.GetName())
		}
	}
	return out
}
