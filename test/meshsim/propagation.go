package meshsim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// Propagation makes simulated proxies see VirtualService and
// DestinationRule changes late, as Envoy sidecars get them from istiod's
// xDS push some time after the apiserver has them. Services and pods
// (endpoints) are seen at once.
//
// Each request goes through one of Proxies caller proxies, drawn
// uniformly. Every change reaches every proxy after its own delay, drawn
// uniformly in [Min, Max] per proxy and per change; a proxy applies the
// changes in the order they were made (an xDS stream is ordered), so a
// route never reaches a proxy before the subset it names. Objects present
// when the simulator starts are seen at once.
type Propagation struct {
	// Proxies is the number of simulated caller proxies, at least 1.
	Proxies int
	// Min and Max bound the delay of one change at one proxy.
	Min, Max time.Duration
}

// ParsePropagation parses "min-max" (Go durations, "1s-5s") with the
// number of proxies.
func ParsePropagation(s string, proxies int) (Propagation, error) {
	lo, hi, ok := strings.Cut(s, "-")
	p := Propagation{Proxies: proxies}
	var err1, err2 error
	p.Min, err1 = time.ParseDuration(lo)
	p.Max, err2 = time.ParseDuration(hi)
	if !ok || err1 != nil || err2 != nil || p.Min < 0 || p.Max < p.Min || proxies < 1 {
		return Propagation{}, fmt.Errorf("propagation %q with %d proxies: want min-max Go durations, 0 <= min <= max, e.g. 1s-5s, and at least 1 proxy", s, proxies)
	}
	return p, nil
}

// routingChange is one VirtualService or DestinationRule change as a proxy
// will see it.
type routingChange struct {
	at  time.Time
	key string
	// vs or dr is the new object, both nil when it was deleted.
	vs *networkingv1.VirtualService
	dr *networkingv1.DestinationRule
}

// proxyView is what one simulated proxy has of the routing configuration:
// the changes it applied, and the ones still on their way.
type proxyView struct {
	vss     map[string]*networkingv1.VirtualService
	drs     map[string]*networkingv1.DestinationRule
	pending []routingChange
}

func newProxyView() *proxyView {
	return &proxyView{vss: map[string]*networkingv1.VirtualService{}, drs: map[string]*networkingv1.DestinationRule{}}
}

// catchUp applies the changes due by now, in the order they were made: a
// change whose delay is over waits for the earlier ones.
func (v *proxyView) catchUp(now time.Time) {
	n := 0
	for n < len(v.pending) && !v.pending[n].at.After(now) {
		v.apply(v.pending[n])
		n++
	}
	v.pending = v.pending[n:]
}

func (v *proxyView) apply(c routingChange) {
	switch {
	case c.vs != nil:
		v.vss[c.key] = c.vs
	case c.dr != nil:
		v.drs[c.key] = c.dr
	default:
		delete(v.vss, c.key)
		delete(v.drs, c.key)
	}
}

// enqueue adds a change made at now that the proxy sees after delay (and
// after the changes made earlier).
func (v *proxyView) enqueue(c routingChange, now time.Time, delay time.Duration) {
	c.at = now.Add(delay)
	v.pending = append(v.pending, c)
}

// proxyMesh is the Mesh one proxy routes with: its own view of the
// routing configuration, the live Services and pods.
type proxyMesh struct {
	live Mesh
	view *proxyView
}

func (m proxyMesh) Service(ref ServiceRef) (*corev1.Service, bool) { return m.live.Service(ref) }

func (m proxyMesh) Pods(ns string, selector labels.Selector) []*corev1.Pod {
	return m.live.Pods(ns, selector)
}

// VirtualServices returns every VirtualService the proxy has, in key
// order; the caller checks the hosts.
func (m proxyMesh) VirtualServices(string) []*networkingv1.VirtualService {
	out := make([]*networkingv1.VirtualService, 0, len(m.view.vss))
	for _, key := range sortedKeys(m.view.vss) {
		out = append(out, m.view.vss[key])
	}
	return out
}

// DestinationRules returns the proxy's DestinationRules of a namespace.
func (m proxyMesh) DestinationRules(ns string) []*networkingv1.DestinationRule {
	var out []*networkingv1.DestinationRule
	for _, key := range sortedKeys(m.view.drs) {
		if dr := m.view.drs[key]; dr.Namespace == ns {
			out = append(out, dr)
		}
	}
	return out
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// meshLocked returns the Mesh the next request is routed with: the live
// caches, or with Propagation a proxy drawn at random, caught up to now.
// s.mu must be held.
func (s *Sim) meshLocked() Mesh {
	if len(s.proxies) == 0 {
		return s.watch
	}
	v := s.proxies[s.rnd.IntN(len(s.proxies))]
	v.catchUp(s.opts.Clock.Now())
	return proxyMesh{live: s.watch, view: v}
}

// onRouting has h called for the VirtualService and DestinationRule
// events of every watched namespace.
func (w *watch) onRouting(h cache.ResourceEventHandler) error {
	for _, f := range w.istio {
		if _, err := f.Networking().V1().VirtualServices().Informer().AddEventHandler(h); err != nil {
			return fmt.Errorf("watching VirtualServices: %w", err)
		}
		if _, err := f.Networking().V1().DestinationRules().Informer().AddEventHandler(h); err != nil {
			return fmt.Errorf("watching DestinationRules: %w", err)
		}
	}
	return nil
}

// routingHandler sends every VirtualService and DestinationRule event to
// the proxies: the objects of the initial list at once, later changes
// after each proxy's delay.
func (s *Sim) routingHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc:    func(obj any, initial bool) { s.routingChanged(obj, false, initial) },
		UpdateFunc: func(_, obj any) { s.routingChanged(obj, false, false) },
		DeleteFunc: func(obj any) { s.routingChanged(obj, true, false) },
	}
}

// routingChanged queues one change for every proxy.
func (s *Sim) routingChanged(obj any, deleted, initial bool) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	var c routingChange
	switch o := obj.(type) {
	case *networkingv1.VirtualService:
		c.key = "VirtualService/" + o.Namespace + "/" + o.Name
		if !deleted {
			c.vs = o
		}
	case *networkingv1.DestinationRule:
		c.key = "DestinationRule/" + o.Namespace + "/" + o.Name
		if !deleted {
			c.dr = o
		}
	default:
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Clock.Now()
	p := s.opts.Propagation
	for _, v := range s.proxies {
		if initial {
			v.apply(c)
			continue
		}
		delay := p.Min
		if p.Max > p.Min {
			delay += time.Duration(s.rnd.Int64N(int64(p.Max - p.Min + 1)))
		}
		v.enqueue(c, now, delay)
	}
}
