package meshsim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
)

// Options configure a Sim. The zero value watches every namespace, sends
// no traffic, listens on 127.0.0.1:0 and runs in real time.
type Options struct {
	// Namespaces to watch; all when empty. Targets, their pods and the
	// VirtualServices and DestinationRules that route them must be watched.
	Namespaces []string
	// Targets are the initial traffic streams; see Sim.SetTarget.
	Targets []Target
	// Listen is the address of the /metrics and /share endpoints;
	// 127.0.0.1:0 when empty.
	Listen string
	// Rand is the random source of every draw; seeded from the clock when
	// nil. The Sim serialises its use.
	Rand *rand.Rand
	// Clock paces traffic; the real clock when nil.
	Clock clock.WithTicker
	// Tick is how often due arrivals are sent; 10ms when zero.
	Tick time.Duration
	// Logger receives pod annotation problems and server errors; none when nil.
	Logger *zap.Logger
	// Propagation, when set, has requests routed by simulated proxies that
	// see VirtualService and DestinationRule changes late; nil routes with
	// the simulator's caches, which see every change at once.
	Propagation *Propagation
	// Routes, when set, routes every request by a control plane's pushes
	// (the xDS mode, see RouteTable) instead of by the watched
	// VirtualServices and DestinationRules; Propagation must then be nil.
	Routes RouteTable
}

// Sim is the mesh simulator: it watches the cluster, sends traffic, routes
// it as Envoy would and exports Istio's metrics.
type Sim struct {
	opts    Options
	watch   *watch
	metrics *metrics
	log     *zap.Logger

	mu     sync.Mutex // guards rnd, counts and streams
	rnd    *rand.Rand
	counts map[ServiceRef]*Counts
	// ingress counts the requests that entered through a gateway, by
	// gateway and service (see CountsThrough).
	ingress map[streamKey]*Counts
	streams map[streamKey]*stream
	// proxies are the simulated proxies' views with Propagation, else nil.
	proxies []*proxyView
	// gone are deleted pods still in their grace period, in xDS mode.
	gone map[podIP]gonePod

	listener net.Listener
	server   *http.Server
	cancel   context.CancelFunc
	done     sync.WaitGroup
}

// stream is a Target with its arrival process.
type stream struct {
	target   Target
	arrivals *arrivals
}

// New returns a Sim that watches the cluster of cfg.
func New(cfg *rest.Config, opts Options) (*Sim, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	istio, err := istioclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("istio client: %w", err)
	}
	return NewForClients(kube, istio, opts)
}

// NewForClients returns a Sim that watches through the given clients, for
// instance fake clientsets in tests.
func NewForClients(kube kubernetes.Interface, istio istioclient.Interface, opts Options) (*Sim, error) {
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.Rand == nil {
		seed := uint64(opts.Clock.Now().UnixNano())
		opts.Rand = rand.New(rand.NewPCG(seed, seed>>1))
	}
	if opts.Tick == 0 {
		opts.Tick = 10 * time.Millisecond
	}
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	s := &Sim{
		opts:    opts,
		metrics: newMetrics(),
		log:     opts.Logger,
		rnd:     opts.Rand,
		counts:  map[ServiceRef]*Counts{},
		ingress: map[streamKey]*Counts{},
		streams: map[streamKey]*stream{},
	}
	w, err := newWatch(kube, istio, opts.Namespaces, cache.ResourceEventHandlerFuncs{
		AddFunc:    s.podSeen,
		UpdateFunc: func(_, obj any) { s.podSeen(obj) },
		DeleteFunc: s.podGone,
	})
	if err != nil {
		return nil, err
	}
	s.watch = w
	if opts.Routes != nil && opts.Propagation != nil {
		return nil, errors.New("a route table and simulated propagation exclude each other: the table's delay is real")
	}
	if p := opts.Propagation; p != nil {
		if p.Proxies < 1 || p.Min < 0 || p.Max < p.Min {
			return nil, fmt.Errorf("propagation %+v: want at least 1 proxy and 0 <= Min <= Max", *p)
		}
		for range p.Proxies {
			s.proxies = append(s.proxies, newProxyView())
		}
		if err := w.onRouting(s.routingHandler()); err != nil {
			return nil, err
		}
	}
	for _, t := range opts.Targets {
		s.SetTarget(t)
	}
	return s, nil
}

// Start fills the caches, starts the HTTP endpoints and the traffic, and
// returns. Everything stops when ctx is done or Close is called. A Sim is
// started once.
func (s *Sim) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	if err := s.watch.start(ctx); err != nil {
		s.cancel()
		return err
	}
	l, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		s.cancel()
		return fmt.Errorf("listening on %s: %w", s.opts.Listen, err)
	}
	s.listener = l
	s.server = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	s.done.Add(3)
	go func() {
		defer s.done.Done()
		if err := s.server.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serving metrics", zap.Error(err))
		}
	}()
	go func() {
		defer s.done.Done()
		<-ctx.Done()
		_ = s.server.Close()
	}()
	go func() {
		defer s.done.Done()
		s.drive(ctx)
	}()
	return nil
}

// Close stops the traffic, the endpoints and the informers, and waits for
// them to end.
func (s *Sim) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	s.done.Wait()
	s.watch.stop()
}

// Addr returns the address of the HTTP endpoints once started, like
// 127.0.0.1:43567.
func (s *Sim) Addr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// streamKey names a stream of requests: to a service from the sidecars
// (Gateway ""), or for it through a gateway.
type streamKey struct {
	Service ServiceRef
	Gateway string
}

// SetTarget starts, changes or (with Rate ≤ 0) stops the stream of
// requests to t.Service (through t.Gateway, when set: a stream of its own
// beside the sidecars' one).
func (s *Sim) SetTarget(t Target) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := streamKey{Service: t.Service, Gateway: t.Gateway}
	if t.Rate <= 0 {
		delete(s.streams, key)
		return
	}
	if t.Source.Workload == "" {
		t.Source = DefaultSource
	}
	s.streams[key] = &stream{target: t, arrivals: newArrivals(t.Rate, s.opts.Clock.Now(), s.rnd)}
}

// Send routes and answers one request at once, outside any target's
// stream, and returns the route taken and what the caller saw. It is
// counted and exported like streamed requests.
func (s *Sim) Send(req Request) (Decision, Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Source.Workload == "" {
		req.Source = DefaultSource
	}
	return s.sendLocked(req)
}

// Counts returns what callers of the service namespace/name saw since the
// start.
func (s *Sim) Counts(namespace, name string) Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.counts[ServiceRef{Namespace: namespace, Name: name}]; ok {
		return c.clone()
	}
	return newCounts()
}

// CountsThrough returns what callers of the service namespace/name saw
// since the start for the requests that entered through gateway
// (namespace/name); Counts has the sidecars' requests.
func (s *Sim) CountsThrough(gateway, namespace, name string) Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.ingress[streamKey{Service: ServiceRef{Namespace: namespace, Name: name}, Gateway: gateway}]; ok {
		return c.clone()
	}
	return newCounts()
}

// allCounts returns Counts for every service requests were sent to.
func (s *Sim) allCounts() map[ServiceRef]Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[ServiceRef]Counts, len(s.counts))
	for ref, c := range s.counts {
		out[ref] = c.clone()
	}
	return out
}

// drive sends each stream's due arrivals on every tick.
func (s *Sim) drive(ctx context.Context) {
	t := s.opts.Clock.NewTicker(s.opts.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C():
			s.sendDue(now)
		}
	}
}

// sendDue sends the requests of every stream that arrived by now.
func (s *Sim) sendDue(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.streams {
		for range st.arrivals.due(now, s.rnd) {
			s.sendLocked(st.target.request(s.rnd))
		}
	}
}

func (s *Sim) podSeen(obj any) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	b, err := ParseBehaviour(pod.Annotations)
	if err != nil {
		s.log.Warn("invalid meshsim annotation, using defaults", zap.String("pod", pod.Namespace+"/"+pod.Name), zap.Error(err))
	}
	s.metrics.podSeen(pod, b)
}

func (s *Sim) podGone(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	if pod, ok := obj.(*corev1.Pod); ok {
		s.metrics.podGone(pod)
		s.podTerminating(pod)
	}
}
