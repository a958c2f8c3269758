package xds

import (
	"fmt"
	"slices"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
)

// Snapshot is what a proxy holds after a response: every resource received
// and still subscribed, by name. A Snapshot is never changed once returned.
type Snapshot struct {
	// At is when the response that produced this snapshot arrived.
	At time.Time
	// Responses counts the responses received so far, all types together.
	Responses int
	// Clusters, Listeners, Endpoints and Routes hold the CDS, LDS, EDS
	// (by cluster name) and RDS (by route configuration name) resources.
	Clusters  map[string]*clusterv3.Cluster
	Listeners map[string]*listenerv3.Listener
	Endpoints map[string]*endpointv3.ClusterLoadAssignment
	Routes    map[string]*routev3.RouteConfiguration
}

// WeightedCluster is one destination of a route: a cluster and its weight.
type WeightedCluster struct {
	Cluster string
	Weight  uint32
}

// Route returns the destinations of the first route of the virtual host
// named host in route configuration routeName: one entry with weight 0 for a
// plain cluster route, one per cluster for a weighted-clusters route.
func (s *Snapshot) Route(routeName, host string) ([]WeightedCluster, error) {
	rc, ok := s.Routes[routeName]
	if !ok {
		return nil, fmt.Errorf("no route configuration %q (have %v)", routeName, sortedKeys(s.Routes))
	}
	for _, vh := range rc.GetVirtualHosts() {
		if vh.GetName() != host {
			continue
		}
		if len(vh.GetRoutes()) == 0 {
			return nil, fmt.Errorf("virtual host %q of route configuration %q has no route", host, routeName)
		}
		action := vh.GetRoutes()[0].GetRoute()
		if action == nil {
			return nil, fmt.Errorf("first route of virtual host %q is not a route to clusters", host)
		}
		if name := action.GetCluster(); name != "" {
			return []WeightedCluster{{Cluster: name}}, nil
		}
		var out []WeightedCluster
		for _, wc := range action.GetWeightedClusters().GetClusters() {
			out = append(out, WeightedCluster{Cluster: wc.GetName(), Weight: wc.GetWeight().GetValue()})
		}
		return out, nil
	}
	var hosts []string
	for _, vh := range rc.GetVirtualHosts() {
		hosts = append(hosts, vh.GetName())
	}
	return nil, fmt.Errorf("route configuration %q has no virtual host %q (have %v)", routeName, host, hosts)
}

// HealthyEndpoints returns the sorted addresses ("IP:port") of the endpoints
// of cluster whose health status lets Envoy send them requests (HEALTHY or
// UNKNOWN), and false when no EDS response for that cluster arrived.
func (s *Snapshot) HealthyEndpoints(cluster string) ([]string, bool) {
	cla, ok := s.Endpoints[cluster]
	if !ok {
		return nil, false
	}
	var out []string
	for _, locality := range cla.GetEndpoints() {
		for _, lb := range locality.GetLbEndpoints() {
			if !healthy(lb) {
				continue
			}
			addr := lb.GetEndpoint().GetAddress().GetSocketAddress()
			out = append(out, fmt.Sprintf("%s:%d", addr.GetAddress(), addr.GetPortValue()))
		}
	}
	slices.Sort(out)
	return out, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// healthy reports whether Envoy may send requests to an endpoint: health
// status HEALTHY or UNKNOWN.
func healthy(lb *endpointv3.LbEndpoint) bool {
	switch lb.GetHealthStatus() {
	case corev3.HealthStatus_HEALTHY, corev3.HealthStatus_UNKNOWN:
		return true
	}
	return false
}
