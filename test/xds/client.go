package xds

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// Type URLs of the four resource types a sidecar subscribes to.
const (
	ClusterType  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	ListenerType = "type.googleapis.com/envoy.config.listener.v3.Listener"
	EndpointType = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	RouteType    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
)

// maxMessageSize bounds one xDS response, as large as istiod may send.
const maxMessageSize = 64 << 20

// Client is one sidecar's ADS stream to istiod. Create it with [Dial]; stop it
// with [Client.Close].
type Client struct {
	conn   *grpc.ClientConn
	stream grpc.BidiStreamingClient[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]
	cancel context.CancelFunc
	subs   map[string]*subscription // by type URL; only the receive loop touches it

	mu      sync.Mutex
	snap    *Snapshot
	history []*Snapshot   // every snapshot, oldest first
	changed chan struct{} // closed and replaced with each new snapshot
	err     error         // why the stream ended, once done is closed
	done    chan struct{}
}

// subscription is the client's state for one resource type: the names asked
// for (nil for a wildcard type) and the last version and nonce received.
type subscription struct {
	names          []string
	version, nonce string
}

// Dial connects to istiod's plaintext xDS address as proxy and subscribes to
// clusters and listeners; endpoints and routes follow as Envoy asks for them.
func Dial(ctx context.Context, addr string, proxy Proxy) (*Client, error) {
	node, err := proxy.node()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageSize)))
	if err != nil {
		return nil, fmt.Errorf("connect to istiod at %s: %w", addr, err)
	}
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(streamCtx)
	if err != nil {
		cancel()
		_ = conn.Close()
		return nil, fmt.Errorf("open ADS stream to %s: %w", addr, err)
	}
	c := &Client{
		conn: conn, stream: stream, cancel: cancel,
		subs:    map[string]*subscription{ClusterType: {}, ListenerType: {}, EndpointType: {}, RouteType: {}},
		snap:    &Snapshot{},
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
	// Envoy asks for clusters first, then listeners; the node goes with the first request.
	for i, typeURL := range []string{ClusterType, ListenerType} {
		req := &discoveryv3.DiscoveryRequest{TypeUrl: typeURL}
		if i == 0 {
			req.Node = node
		}
		if err := stream.Send(req); err != nil {
			c.Close()
			return nil, fmt.Errorf("subscribe to %s: %w", typeURL, err)
		}
	}
	go c.receive()
	return c, nil
}

// Close ends the stream and the connection.
func (c *Client) Close() {
	c.cancel()
	_ = c.conn.Close()
}

// Snapshot returns the latest snapshot.
func (c *Client) Snapshot() *Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}

// History returns every snapshot so far, one per response, oldest first:
// [Client.Wait] may skip snapshots that arrive in quick succession.
func (c *Client) History() []*Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.history)
}

// Wait returns the first snapshot, the current one included, for which ok is
// true; it fails when ctx ends or the stream breaks.
func (c *Client) Wait(ctx context.Context, ok func(*Snapshot) bool) (*Snapshot, error) {
	for {
		c.mu.Lock()
		snap, changed, done, streamErr := c.snap, c.changed, c.done, c.err
		c.mu.Unlock()
		if ok(snap) {
			return snap, nil
		}
		select {
		case <-changed:
		case <-done:
			return nil, fmt.Errorf("xDS stream ended: %w", streamErr)
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for xDS: %w", ctx.Err())
		}
	}
}

// receive handles every response until the stream ends.
func (c *Client) receive() {
	var err error
	for err == nil {
		var resp *discoveryv3.DiscoveryResponse
		if resp, err = c.stream.Recv(); err == nil {
			err = c.handle(resp, time.Now())
		}
	}
	c.mu.Lock()
	c.err = err
	close(c.done)
	c.mu.Unlock()
}

// handle applies one response, publishes the new snapshot, changes the EDS or
// RDS subscription when the clusters or listeners ask for other names, and ACKs.
func (c *Client) handle(resp *discoveryv3.DiscoveryResponse, at time.Time) error {
	sub, ok := c.subs[resp.GetTypeUrl()]
	if !ok {
		return fmt.Errorf("response of unexpected type %q", resp.GetTypeUrl())
	}
	old := c.Snapshot()
	next := &Snapshot{
		At: at, Responses: old.Responses + 1,
		Clusters: old.Clusters, Listeners: old.Listeners, Endpoints: old.Endpoints, Routes: old.Routes,
	}
	var resubscribe map[string][]string
	var err error
	switch resp.GetTypeUrl() {
	case ClusterType:
		if next.Clusters, err = decodeAll[*clusterv3.Cluster](resp, func() *clusterv3.Cluster { return &clusterv3.Cluster{} }, (*clusterv3.Cluster).GetName); err != nil {
			return err
		}
		names := edsClusters(next.Clusters)
		next.Endpoints = keep(next.Endpoints, names)
		resubscribe = map[string][]string{EndpointType: names}
	case ListenerType:
		if next.Listeners, err = decodeAll[*listenerv3.Listener](resp, func() *listenerv3.Listener { return &listenerv3.Listener{} }, (*listenerv3.Listener).GetName); err != nil {
			return err
		}
		names, err := routeNames(next.Listeners)
		if err != nil {
			return err
		}
		next.Routes = keep(next.Routes, names)
		resubscribe = map[string][]string{RouteType: names}
	case EndpointType:
		got, err := decodeAll[*endpointv3.ClusterLoadAssignment](resp, func() *endpointv3.ClusterLoadAssignment { return &endpointv3.ClusterLoadAssignment{} }, (*endpointv3.ClusterLoadAssignment).GetClusterName)
		if err != nil {
			return err
		}
		next.Endpoints = merge(next.Endpoints, got, sub.names)
	case RouteType:
		got, err := decodeAll[*routev3.RouteConfiguration](resp, func() *routev3.RouteConfiguration { return &routev3.RouteConfiguration{} }, (*routev3.RouteConfiguration).GetName)
		if err != nil {
			return err
		}
		next.Routes = merge(next.Routes, got, sub.names)
	}
	c.publish(next)
	sub.version, sub.nonce = resp.GetVersionInfo(), resp.GetNonce()
	// Like Envoy: ask for the new names first, then ACK what caused it.
	for typeURL, names := range resubscribe {
		if err := c.subscribe(typeURL, names); err != nil {
			return err
		}
	}
	return c.send(resp.GetTypeUrl())
}

// subscribe changes the names asked for of a non-wildcard type, when they differ.
func (c *Client) subscribe(typeURL string, names []string) error {
	sub := c.subs[typeURL]
	if slices.Equal(sub.names, names) {
		return nil
	}
	sub.names = names
	return c.send(typeURL)
}

// send sends the current request for typeURL: its names, last version and nonce.
func (c *Client) send(typeURL string) error {
	sub := c.subs[typeURL]
	req := &discoveryv3.DiscoveryRequest{
		TypeUrl: typeURL, VersionInfo: sub.version, ResponseNonce: sub.nonce, ResourceNames: sub.names,
	}
	if err := c.stream.Send(req); err != nil {
		return fmt.Errorf("send %s request: %w", typeURL, err)
	}
	return nil
}

func (c *Client) publish(next *Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap = next
	c.history = append(c.history, next)
	close(c.changed)
	c.changed = make(chan struct{})
}

// decodeAll decodes every resource of a response into a map by name.
func decodeAll[T proto.Message](resp *discoveryv3.DiscoveryResponse, newT func() T, name func(T) string) (map[string]T, error) {
	out := make(map[string]T, len(resp.GetResources()))
	for _, res := range resp.GetResources() {
		msg := newT()
		if err := anypb.UnmarshalTo(res, msg, proto.UnmarshalOptions{}); err != nil {
			return nil, fmt.Errorf("decode %s: %w", res.GetTypeUrl(), err)
		}
		out[name(msg)] = msg
	}
	return out, nil
}

// edsClusters returns the sorted names of the clusters whose endpoints come from EDS.
func edsClusters(clusters map[string]*clusterv3.Cluster) []string {
	var names []string
	for name, cl := range clusters {
		if cl.GetType() == clusterv3.Cluster_EDS {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// routeNames returns the sorted names of the route configurations the
// listeners' HTTP connection managers ask for over RDS.
func routeNames(listeners map[string]*listenerv3.Listener) ([]string, error) {
	set := map[string]bool{}
	for _, l := range listeners {
		chains := slices.Clone(l.GetFilterChains())
		if l.GetDefaultFilterChain() != nil {
			chains = append(chains, l.GetDefaultFilterChain())
		}
		for _, chain := range chains {
			for _, f := range chain.GetFilters() {
				typed := f.GetTypedConfig()
				if typed == nil || !typed.MessageIs(&hcmv3.HttpConnectionManager{}) {
					continue
				}
				hcm := &hcmv3.HttpConnectionManager{}
				if err := anypb.UnmarshalTo(typed, hcm, proto.UnmarshalOptions{}); err != nil {
					return nil, fmt.Errorf("decode HTTP connection manager of listener %s: %w", l.GetName(), err)
				}
				if name := hcm.GetRds().GetRouteConfigName(); name != "" {
					set[name] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// keep returns the entries of m whose name is in names.
func keep[T any](m map[string]T, names []string) map[string]T {
	out := make(map[string]T, len(names))
	for _, name := range names {
		if v, ok := m[name]; ok {
			out[name] = v
		}
	}
	return out
}

// merge returns m with got added, for a type whose responses carry only some of
// the subscribed resources; names not subscribed are dropped.
func merge[T any](m, got map[string]T, names []string) map[string]T {
	out := keep(m, names)
	for name, v := range got {
		if slices.Contains(names, name) {
			out[name] = v
		}
	}
	return out
}
