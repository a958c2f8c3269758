package xds

import (
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"github.com/meshcanary/meshcanary/test/meshsim"
)

// Table routes the mesh simulator's requests by what istiod pushed to a
// [Client]: it is the [meshsim.RouteTable] of the simulator's xDS mode. Each
// request is routed with the client's latest [Snapshot], as an Envoy sidecar
// routes with the configuration it has.
type Table struct{ c *Client }

// NewTable returns the route table of c.
func NewTable(c *Client) *Table { return &Table{c: c} }

// RouteRequest routes req as an Envoy sidecar with the latest snapshot would.
func (t *Table) RouteRequest(req meshsim.Request, port uint32, rnd *rand.Rand) meshsim.TableRoute {
	return t.c.Snapshot().RouteRequest(req, port, rnd)
}

// RouteRequest routes req, addressed to port of its service, as Envoy does
// with this snapshot: the virtual host of route configuration "<port>" whose
// domains hold the service's host, its first route whose match applies, a
// draw over the route's weighted clusters (uniform below the sum of the
// weights), then a uniform draw among the cluster's healthy endpoints. It
// answers 404 NR when no virtual host or route matches, 503 NC when the
// cluster is unknown or still warming (no endpoints received yet for an EDS
// cluster), and 503 UH when the cluster has no healthy endpoint.
func (s *Snapshot) RouteRequest(req meshsim.Request, port uint32, rnd *rand.Rand) meshsim.TableRoute {
	noRoute := meshsim.TableRoute{Service: req.Service, Code: 404, Flags: meshsim.FlagNoRoute}
	vh := s.virtualHost(strconv.FormatUint(uint64(port), 10), req.Service.FQDN(), port)
	if vh == nil {
		return noRoute
	}
	for _, r := range vh.GetRoutes() {
		if !routeMatches(r.GetMatch(), req) {
			continue
		}
		switch {
		case r.GetDirectResponse() != nil:
			return meshsim.TableRoute{Service: req.Service, Code: int(r.GetDirectResponse().GetStatus()), Flags: meshsim.NoFlags}
		case r.GetRedirect() != nil:
			return meshsim.TableRoute{Service: req.Service, Code: redirectCode(r.GetRedirect()), Flags: meshsim.NoFlags}
		case r.GetRoute() != nil:
			return s.toCluster(pickCluster(r.GetRoute(), rnd), rnd)
		}
		return noRoute
	}
	return noRoute
}

// virtualHost returns the virtual host of route configuration name that
// serves host (or host:port) by an exact domain, nil when none does. Istio's
// catch-all virtual host (domain "*", to PassthroughCluster) is not
// followed: the simulator does not model passthrough traffic.
func (s *Snapshot) virtualHost(name, host string, port uint32) *routev3.VirtualHost {
	withPort := host + ":" + strconv.FormatUint(uint64(port), 10)
	for _, vh := range s.Routes[name].GetVirtualHosts() {
		if slices.Contains(vh.GetDomains(), host) || slices.Contains(vh.GetDomains(), withPort) {
			return vh
		}
	}
	return nil
}

// pickCluster draws the cluster of a route action as Envoy's weighted
// clusters do; "" when there is none with weight.
func pickCluster(a *routev3.RouteAction, rnd *rand.Rand) string {
	if name := a.GetCluster(); name != "" {
		return name
	}
	clusters := a.GetWeightedClusters().GetClusters()
	var total uint64
	for _, c := range clusters {
		total += uint64(c.GetWeight().GetValue())
	}
	if total == 0 {
		return ""
	}
	x := rnd.Uint64N(total)
	for _, c := range clusters {
		w := uint64(c.GetWeight().GetValue())
		if x < w {
			return c.GetName()
		}
		x -= w
	}
	return ""
}

// toCluster sends a request to cluster name: a healthy endpoint drawn
// uniformly, or the local reply Envoy gives when it cannot.
func (s *Snapshot) toCluster(name string, rnd *rand.Rand) meshsim.TableRoute {
	out := meshsim.TableRoute{Flags: meshsim.NoFlags}
	out.Service, out.Subset = clusterService(name)
	cl, ok := s.Clusters[name]
	if !ok {
		out.Code, out.Flags = 503, meshsim.FlagNoCluster
		return out
	}
	cla := cl.GetLoadAssignment()
	if cl.GetType() == clusterv3.Cluster_EDS {
		if cla, ok = s.Endpoints[name]; !ok {
			// Envoy keeps a new cluster warming until its endpoints arrive.
			out.Code, out.Flags = 503, meshsim.FlagNoCluster
			return out
		}
	}
	healthy := healthyIPs(cla)
	if len(healthy) == 0 {
		out.Code, out.Flags = 503, meshsim.FlagNoHealthyUpstream
		return out
	}
	out.Endpoint = healthy[rnd.IntN(len(healthy))]
	return out
}

// healthyIPs returns the sorted IP addresses of the endpoints Envoy may send
// requests to (health HEALTHY or UNKNOWN).
func healthyIPs(cla *endpointv3.ClusterLoadAssignment) []string {
	var out []string
	for _, locality := range cla.GetEndpoints() {
		for _, lb := range locality.GetLbEndpoints() {
			if !healthy(lb) {
				continue
			}
			if ip := lb.GetEndpoint().GetAddress().GetSocketAddress().GetAddress(); net.ParseIP(ip) != nil {
				out = append(out, ip)
			}
		}
	}
	slices.Sort(out)
	return out
}

// clusterService returns the service and subset of an Istio outbound
// cluster, "outbound|<port>|<subset>|<name>.<namespace>.svc.cluster.local";
// zero values for other clusters.
func clusterService(name string) (meshsim.ServiceRef, string) {
	parts := strings.Split(name, "|")
	if len(parts) != 4 || parts[0] != "outbound" {
		return meshsim.ServiceRef{}, ""
	}
	rest, ok := strings.CutSuffix(parts[3], ".svc."+DomainSuffix)
	svc, ns, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return meshsim.ServiceRef{}, parts[2]
	}
	return meshsim.ServiceRef{Namespace: ns, Name: svc}, parts[2]
}

// redirectCode is the status of a redirect action.
func redirectCode(r *routev3.RedirectAction) int {
	switch r.GetResponseCode() {
	case routev3.RedirectAction_FOUND:
		return 302
	case routev3.RedirectAction_SEE_OTHER:
		return 303
	case routev3.RedirectAction_TEMPORARY_REDIRECT:
		return 307
	case routev3.RedirectAction_PERMANENT_REDIRECT:
		return 308
	}
	return 301
}
