package meshsim

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"math/rand/v2"
	"strings"
	"time"

	"istio.io/api/networking/v1alpha3"
	corev1 "k8s.io/api/core/v1"
)

// Response flags Envoy sets when the mesh, not a pod, answers a request.
const (
	NoFlags               = "-"
	FlagNoHealthyUpstream = "UH" // no Ready pod in the destination (503)
	FlagNoRoute           = "NR" // no route matches the request (404)
	FlagNoCluster         = "NC" // the route's service or subset does not exist (503)
	FlagFaultAbort        = "FI" // aborted by fault injection
	FlagFaultDelay        = "DI" // delayed by fault injection
)

// Upstream is where the mesh sends a request or a mirrored copy of it.
type Upstream struct {
	// Service is the destination service; zero when the host is not a
	// cluster service.
	Service ServiceRef
	// Subset is the DestinationRule subset the route named, or "".
	Subset string
	// Pod is the chosen pod, nil when the mesh answers itself.
	Pod *corev1.Pod
}

// Decision is what the mesh does with one request.
type Decision struct {
	Upstream
	// Code is the status the mesh answers with when Pod is nil (a local reply,
	// a redirect, a direct response or an injected fault); 0 when a pod
	// answers.
	Code int
	// Flags are Envoy's response flags, comma-separated, NoFlags when none.
	Flags string
	// Delay is the latency fault injection adds.
	Delay time.Duration
	// Mirrors are the pods that receive a copy of the request; their
	// answers are discarded.
	Mirrors []Upstream
	// ResponseHeaders are the headers the route adds to the pod's answer
	// (headers.response set and add of the route, then of the destination
	// drawn), keys in lower case; nil when none.
	ResponseHeaders map[string]string
}

// Route decides where the mesh sends req, drawing weights, percentages and
// pods from rnd. It follows the VirtualService bound to the mesh gateway for
// the requested host, or, for a request entering through a gateway
// (req.Gateway), the one bound to that gateway for req.Host: the first
// HTTP route whose match applies (a delegate route's child's first that
// applies too), a draw over
// its destination weights, the destination's DestinationRule subset, then a
// uniformly chosen Ready pod of the service's selected pods in that subset.
// Without a VirtualService the request goes to any Ready pod of the service.
func Route(m Mesh, req Request, rnd *rand.Rand) Decision {
	var vs *networkingv1.VirtualService
	if req.Gateway != "" {
		// A gateway's Envoy has no route for a host no VirtualService
		// bound to it serves.
		if vs = virtualServiceForGateway(m, req.Gateway, requestHost(req)); vs == nil {
			return localReply(req.Service, 404, FlagNoRoute)
		}
	} else if vs = virtualServiceFor(m, req.Service.FQDN()); vs == nil {
		if _, ok := m.Service(req.Service); !ok {
			return localReply(req.Service, 404, FlagNoRoute)
		}
		return toDestination(m, req.Service, "", rnd)
	}
	if d, ok := routeVirtualService(m, req, vs, servicePort(m, req.Service), rnd, 0); ok {
		return d
	}
	return localReply(req.Service, 404, FlagNoRoute)
}

// takeRoute applies one HTTP route of a VirtualService of namespace ns.
func takeRoute(m Mesh, req Request, r *v1alpha3.HTTPRoute, ns string, rnd *rand.Rand) Decision {
	if rd := r.GetRedirect(); rd != nil {
		return localReply(req.Service, int(max(rd.GetRedirectCode(), 301)), NoFlags)
	}
	if dr := r.GetDirectResponse(); dr != nil {
		return localReply(req.Service, int(dr.GetStatus()), NoFlags)
	}
	var delay time.Duration
	var flags []string
	if f := r.GetFault().GetDelay(); f != nil && drawPercent(f.GetPercentage(), 0, rnd) {
		delay, flags = f.GetFixedDelay().AsDuration(), append(flags, FlagFaultDelay)
	}
	if f := r.GetFault().GetAbort(); f != nil && f.GetHttpStatus() != 0 && drawPercent(f.GetPercentage(), 0, rnd) {
		d := localReply(req.Service, int(f.GetHttpStatus()), strings.Join(append(flags, FlagFaultAbort), ","))
		d.Delay = delay
		return d
	}
	rd := pickDestination(r.GetRoute(), rnd)
	dest := rd.GetDestination()
	if dest == nil {
		return localReply(req.Service, 503, strings.Join(append(flags, FlagNoCluster), ","))
	}
	ref, ok := serviceOf(dest.GetHost(), ns)
	if !ok {
		return localReply(ServiceRef{}, 503, strings.Join(append(flags, FlagNoCluster), ","))
	}
	d := toDestination(m, ref, dest.GetSubset(), rnd)
	if d.Flags != NoFlags {
		flags = append(flags, d.Flags)
	}
	if len(flags) > 0 {
		d.Flags = strings.Join(flags, ",")
	}
	d.Delay = delay
	d.Mirrors = mirrors(m, r, ns, rnd)
	d.ResponseHeaders = responseHeaders(r.GetHeaders(), rd.GetHeaders())
	return d
}

// responseHeaders are the headers the route's and then the destination's
// header rules set or add on the response, keys in lower case; nil when
// there are none.
func responseHeaders(rules ...*v1alpha3.Headers) map[string]string {
	var out map[string]string
	for _, h := range rules {
		for _, kv := range []map[string]string{h.GetResponse().GetSet(), h.GetResponse().GetAdd()} {
			for k, v := range kv {
				if out == nil {
					out = map[string]string{}
				}
				out[strings.ToLower(k)] = v
			}
		}
	}
	return out
}

// pickDestination draws one destination as Envoy's weighted clusters do:
// a uniform value below the sum of the weights, then the first destination
// whose cumulative weight exceeds it. A lone destination gets everything
// whatever its weight; nil means there is no destination with weight.
func pickDestination(routes []*v1alpha3.HTTPRouteDestination, rnd *rand.Rand) *v1alpha3.HTTPRouteDestination {
	if len(routes) == 1 {
		return routes[0]
	}
	var total uint64
	for _, r := range routes {
		total += uint64(max(r.GetWeight(), 0))
	}
	if total == 0 {
		return nil
	}
	x := rnd.Uint64N(total)
	for _, r := range routes {
		w := uint64(max(r.GetWeight(), 0))
		if x < w {
			return r
		}
		x -= w
	}
	return nil
}

// drawPercent draws true with an Istio Percent's probability (or missing
// percent when p is nil), at Envoy's resolution of one in a million.
func drawPercent(p *v1alpha3.Percent, missing float64, rnd *rand.Rand) bool {
	pct := missing
	if p != nil {
		pct = p.GetValue()
	}
	return rnd.Uint64N(1_000_000) < uint64(pct*10_000)
}

// mirrors returns the pods that receive a copy of a request taken by route
// r: its mirror (at mirrorPercentage, all when absent) and each of its
// mirrors (at their percentage, all when absent). A mirror without a Ready
// pod or without its subset is skipped, as Envoy's shadow is best effort.
func mirrors(m Mesh, r *v1alpha3.HTTPRoute, ns string, rnd *rand.Rand) []Upstream {
	policies := r.GetMirrors()
	if r.GetMirror() != nil {
		first := &v1alpha3.HTTPMirrorPolicy{Destination: r.GetMirror(), Percentage: r.GetMirrorPercentage()}
		policies = append([]*v1alpha3.HTTPMirrorPolicy{first}, policies...)
	}
	var out []Upstream
	for _, p := range policies {
		if !drawPercent(p.GetPercentage(), 100, rnd) {
			continue
		}
		ref, ok := serviceOf(p.GetDestination().GetHost(), ns)
		if !ok {
			continue
		}
		if d := toDestination(m, ref, p.GetDestination().GetSubset(), rnd); d.Pod != nil {
			out = append(out, d.Upstream)
		}
	}
	return out
}

// localReply is an answer of the mesh itself, without a pod.
func localReply(ref ServiceRef, code int, flags string) Decision {
	return Decision{Upstream: Upstream{Service: ref}, Code: code, Flags: flags}
}
