package meshsim

import "strings"

// clusterDomain is the DNS suffix of Kubernetes services the simulator
// assumes, as in a default cluster.
const clusterDomain = "svc.cluster.local"

// ServiceRef names a Kubernetes Service.
type ServiceRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

// String returns "namespace/name".
func (r ServiceRef) String() string { return r.Namespace + "/" + r.Name }

// FQDN returns the service's host name, name.namespace.svc.cluster.local.
func (r ServiceRef) FQDN() string { return r.Name + "." + r.Namespace + "." + clusterDomain }

// expandHost returns the fully qualified form of a host written in an Istio
// object of namespace ns: a short name "reviews" becomes
// reviews.<ns>.svc.cluster.local and "reviews.other" becomes
// reviews.other.svc.cluster.local. Wildcards and other names are returned as
// written.
func expandHost(host, ns string) string {
	if strings.HasPrefix(host, "*") || strings.HasSuffix(host, "."+clusterDomain) {
		return host
	}
	switch strings.Count(host, ".") {
	case 0:
		return host + "." + ns + "." + clusterDomain
	case 1:
		return host + "." + clusterDomain
	}
	return host
}

// serviceOf returns the service a host of an Istio object of namespace ns
// names, and false when the host is not a cluster service.
func serviceOf(host, ns string) (ServiceRef, bool) {
	rest, ok := strings.CutSuffix(expandHost(host, ns), "."+clusterDomain)
	if !ok {
		return ServiceRef{}, false
	}
	name, namespace, ok := strings.Cut(rest, ".")
	if !ok || name == "" || namespace == "" || strings.ContainsAny(rest, "*") || strings.Contains(namespace, ".") {
		return ServiceRef{}, false
	}
	return ServiceRef{Namespace: namespace, Name: name}, true
}

// hostMatch tells how well a host of an Istio object of namespace ns matches
// the FQDN fqdn: exactMatch, wildcardMatch or noMatch. Istio prefers an
// exact host over a wildcard one.
func hostMatch(host, ns, fqdn string) matchQuality {
	full := expandHost(host, ns)
	switch {
	case full == fqdn:
		return exactMatch
	case full == "*":
		return wildcardMatch
	case strings.HasPrefix(full, "*") && strings.HasSuffix(fqdn, full[1:]):
		return wildcardMatch
	}
	return noMatch
}

// matchQuality ranks host matches; a larger value is a better match.
type matchQuality int

const (
	noMatch matchQuality = iota
	wildcardMatch
	exactMatch
)
