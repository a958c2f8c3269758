package xds

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestRoute(t *testing.T) {
	weighted := &routev3.Route{Action: &routev3.Route_Route{Route: &routev3.RouteAction{
		ClusterSpecifier: &routev3.RouteAction_WeightedClusters{WeightedClusters: &routev3.WeightedCluster{
			Clusters: []*routev3.WeightedCluster_ClusterWeight{
				{Name: "outbound|80|primary|web.ns.svc.cluster.local", Weight: wrapperspb.UInt32(995)},
				{Name: "outbound|80|canary|web.ns.svc.cluster.local", Weight: wrapperspb.UInt32(5)},
			},
		}},
	}}}
	plain := &routev3.Route{Action: &routev3.Route_Route{Route: &routev3.RouteAction{
		ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: "outbound|80||db.ns.svc.cluster.local"},
	}}}
	snap := &Snapshot{Routes: map[string]*routev3.RouteConfiguration{"80": {
		Name: "80",
		VirtualHosts: []*routev3.VirtualHost{
			{Name: "web.ns.svc.cluster.local:80", Routes: []*routev3.Route{weighted}},
			{Name: "db.ns.svc.cluster.local:80", Routes: []*routev3.Route{plain}},
		},
	}}}
	cases := map[string]struct {
		route, host string
		want        []WeightedCluster
		wantErr     bool
	}{
		"weighted clusters keep their weights": {"80", "web.ns.svc.cluster.local:80", []WeightedCluster{
			{"outbound|80|primary|web.ns.svc.cluster.local", 995}, {"outbound|80|canary|web.ns.svc.cluster.local", 5}}, false},
		"a plain cluster route is one destination of weight 0": {"80", "db.ns.svc.cluster.local:80",
			[]WeightedCluster{{"outbound|80||db.ns.svc.cluster.local", 0}}, false},
		"an unknown virtual host is an error":        {"80", "other:80", nil, true},
		"an unknown route configuration is an error": {"8080", "web.ns.svc.cluster.local:80", nil, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := snap.Route(tc.route, tc.host)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHealthyEndpointsLeaveOutUnhealthyOnes(t *testing.T) {
	lb := func(ip string, health corev3.HealthStatus) *endpointv3.LbEndpoint {
		return &endpointv3.LbEndpoint{
			HealthStatus: health,
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 8080},
				}}},
			}},
		}
	}
	snap := &Snapshot{Endpoints: map[string]*endpointv3.ClusterLoadAssignment{"c": {
		ClusterName: "c",
		Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{
			lb("10.0.0.2", corev3.HealthStatus_HEALTHY),
			lb("10.0.0.1", corev3.HealthStatus_UNKNOWN),
			lb("10.0.0.3", corev3.HealthStatus_UNHEALTHY),
			lb("10.0.0.4", corev3.HealthStatus_DRAINING),
		}}},
	}}}
	got, ok := snap.HealthyEndpoints("c")
	if diff := cmp.Diff([]string{"10.0.0.1:8080", "10.0.0.2:8080"}, got); !ok || diff != "" {
		t.Errorf("HealthyEndpoints (ok %v) (-want +got):\n%s", ok, diff)
	}
	if _, ok := snap.HealthyEndpoints("absent"); ok {
		t.Error("a cluster without EDS response reported as received")
	}
}

func TestRouteNamesComeFromTheListenersConnectionManagers(t *testing.T) {
	hcm := func(route string) *listenerv3.Filter {
		cfg, err := anypb.New(&hcmv3.HttpConnectionManager{RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{
			Rds: &hcmv3.Rds{RouteConfigName: route}}})
		if err != nil {
			t.Fatal(err)
		}
		return &listenerv3.Filter{Name: "envoy.filters.network.http_connection_manager",
			ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: cfg}}
	}
	tcp := &listenerv3.Filter{Name: "envoy.filters.network.tcp_proxy"}
	listeners := map[string]*listenerv3.Listener{
		"0.0.0.0_80":   {FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{hcm("80")}}}},
		"0.0.0.0_8080": {DefaultFilterChain: &listenerv3.FilterChain{Filters: []*listenerv3.Filter{hcm("8080")}}},
		"10.0.0.1_443": {FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{tcp}}}},
		"again_80":     {FilterChains: []*listenerv3.FilterChain{{Filters: []*listenerv3.Filter{hcm("80")}}}},
	}
	got, err := routeNames(listeners)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"80", "8080"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMergeKeepsOnlySubscribedNames(t *testing.T) {
	old := map[string]int{"a": 1, "b": 2, "gone": 3}
	got := merge(old, map[string]int{"b": 20, "unasked": 9}, []string{"a", "b"})
	if diff := cmp.Diff(map[string]int{"a": 1, "b": 20}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
