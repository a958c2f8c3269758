package xds

import (
	"math/rand/v2"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/meshcanary/meshcanary/test/meshsim"
)

const (
	webPrimary = "outbound|80|primary|web.ns.svc.cluster.local"
	webCanary  = "outbound|80|canary|web.ns.svc.cluster.local"
	webWarming = "outbound|80|next|web.ns.svc.cluster.local"
)

var web = meshsim.ServiceRef{Namespace: "ns", Name: "web"}

// tableSnapshot is a sidecar's configuration for web:80: a route for header
// x-canary to the canary, /old redirected, /gone answered 410, /warming to a
// cluster without endpoints yet, /unknown to a cluster the sidecar lacks, the
// rest split by weights between primary and canary.
func tableSnapshot(primary, canary uint32, canaryIPs ...string) *Snapshot {
	cluster := func(name string) *routev3.Route_Route {
		return &routev3.Route_Route{Route: &routev3.RouteAction{ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: name}}}
	}
	prefix := func(p string) *routev3.RouteMatch {
		return &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: p}}
	}
	header := prefix("/")
	header.Headers = []*routev3.HeaderMatcher{{Name: "x-canary", HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{
		StringMatch: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: "yes"}}}}}
	routes := []*routev3.Route{
		{Match: header, Action: cluster(webCanary)},
		{Match: prefix("/old"), Action: &routev3.Route_Redirect{Redirect: &routev3.RedirectAction{ResponseCode: routev3.RedirectAction_FOUND}}},
		{Match: prefix("/gone"), Action: &routev3.Route_DirectResponse{DirectResponse: &routev3.DirectResponseAction{Status: 410}}},
		{Match: prefix("/warming"), Action: cluster(webWarming)},
		{Match: prefix("/unknown"), Action: cluster("outbound|80|nope|web.ns.svc.cluster.local")},
		{Match: prefix("/"), Action: &routev3.Route_Route{Route: &routev3.RouteAction{
			ClusterSpecifier: &routev3.RouteAction_WeightedClusters{WeightedClusters: &routev3.WeightedCluster{
				Clusters: []*routev3.WeightedCluster_ClusterWeight{
					{Name: webPrimary, Weight: wrapperspb.UInt32(primary)},
					{Name: webCanary, Weight: wrapperspb.UInt32(canary)},
				}}}}}},
	}
	eds := &clusterv3.Cluster{ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS}}
	return &Snapshot{
		Routes: map[string]*routev3.RouteConfiguration{"80": {Name: "80", VirtualHosts: []*routev3.VirtualHost{
			{Name: "allow_any", Domains: []string{"*"}},
			{Name: "web.ns.svc.cluster.local:80", Domains: []string{"web.ns.svc.cluster.local", "web", "web.ns"}, Routes: routes},
		}}},
		Clusters: map[string]*clusterv3.Cluster{webPrimary: eds, webCanary: eds, webWarming: eds},
		Endpoints: map[string]*endpointv3.ClusterLoadAssignment{
			webPrimary: assignment("10.0.0.1", "10.0.0.2"),
			webCanary:  assignment(canaryIPs...),
		},
	}
}

func assignment(ips ...string) *endpointv3.ClusterLoadAssignment {
	var lbs []*endpointv3.LbEndpoint
	for _, ip := range ips {
		lbs = append(lbs, &endpointv3.LbEndpoint{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
			Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
				Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 8080}}}}}}})
	}
	return &endpointv3.ClusterLoadAssignment{Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lbs}}}
}

func TestSnapshotRoutesRequestsAsEnvoy(t *testing.T) {
	snap := tableSnapshot(1, 0, "10.0.0.9")
	local := func(svc meshsim.ServiceRef, subset string, code int, flags string) meshsim.TableRoute {
		return meshsim.TableRoute{Service: svc, Subset: subset, Code: code, Flags: flags}
	}
	tests := map[string]struct {
		req  meshsim.Request
		port uint32
		want meshsim.TableRoute
	}{
		"the weighted route draws the only cluster with weight": {
			req: meshsim.Request{Service: web}, port: 80,
			want: meshsim.TableRoute{Service: web, Subset: "primary", Endpoint: "10.0.0.1", Flags: meshsim.NoFlags},
		},
		"a header match takes the first route": {
			req: meshsim.Request{Service: web, Headers: map[string]string{"x-canary": "yes"}}, port: 80,
			want: meshsim.TableRoute{Service: web, Subset: "canary", Endpoint: "10.0.0.9", Flags: meshsim.NoFlags},
		},
		"a redirect is the proxy's answer":        {meshsim.Request{Service: web, Path: "/old/x"}, 80, local(web, "", 302, meshsim.NoFlags)},
		"a direct response is the proxy's answer": {meshsim.Request{Service: web, Path: "/gone?x=1"}, 80, local(web, "", 410, meshsim.NoFlags)},
		"a cluster without endpoints yet is warming: NC": {
			meshsim.Request{Service: web, Path: "/warming"}, 80, local(web, "next", 503, meshsim.FlagNoCluster)},
		"a cluster the sidecar lacks is NC": {
			meshsim.Request{Service: web, Path: "/unknown"}, 80, local(web, "nope", 503, meshsim.FlagNoCluster)},
		"another port has no route configuration: NR": {
			meshsim.Request{Service: web}, 8080, local(web, "", 404, meshsim.FlagNoRoute)},
		"a host only the catch-all serves is NR": {
			meshsim.Request{Service: meshsim.ServiceRef{Namespace: "ns", Name: "db"}}, 80,
			local(meshsim.ServiceRef{Namespace: "ns", Name: "db"}, "", 404, meshsim.FlagNoRoute)},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := snap.RouteRequest(tt.req, tt.port, rand.New(rand.NewPCG(1, 2)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestSnapshotAnswersUHForASubsetWithoutHealthyEndpoints(t *testing.T) {
	got := tableSnapshot(0, 1).RouteRequest(meshsim.Request{Service: web}, 80, rand.New(rand.NewPCG(1, 2)))
	want := meshsim.TableRoute{Service: web, Subset: "canary", Code: 503, Flags: meshsim.FlagNoHealthyUpstream}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestSnapshotDrawsWeightedClustersByTheirWeights(t *testing.T) {
	snap := tableSnapshot(995, 5, "10.0.0.9")
	rnd := rand.New(rand.NewPCG(7, 8))
	const n = 200_000
	canary := 0
	for range n {
		if snap.RouteRequest(meshsim.Request{Service: web}, 80, rnd).Subset == "canary" {
			canary++
		}
	}
	// 5/1000 of 200000 is 1000, standard deviation about 31.5: 5 of them.
	if canary < 1000-158 || canary > 1000+158 {
		t.Errorf("canary drew %d of %d requests, want 1000 ± 158 (5/1000)", canary, n)
	}
}

func TestClusterService(t *testing.T) {
	tests := map[string]struct {
		svc    meshsim.ServiceRef
		subset string
	}{
		webCanary:                               {web, "canary"},
		"outbound|80||web.ns.svc.cluster.local": {web, ""},
		"PassthroughCluster":                    {},
		"outbound|443||example.com":             {meshsim.ServiceRef{}, ""},
	}
	for name, tt := range tests {
		svc, subset := clusterService(name)
		if svc != tt.svc || subset != tt.subset {
			t.Errorf("clusterService(%q) = %v, %q; want %v, %q", name, svc, subset, tt.svc, tt.subset)
		}
	}
}
