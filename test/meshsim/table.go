package meshsim

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// FlagUpstreamFailure is the response flag Envoy sets when it cannot connect
// to the endpoint it chose (503 UF): in table mode, an endpoint whose pod the
// simulator does not have, nor had within its grace period.
const FlagUpstreamFailure = "UF"

// RouteTable is the routing configuration of one sidecar as a control plane
// pushed it, for [Options].Routes: the xDS mode, in which requests are routed
// by what istiod sends instead of by the VirtualServices, DestinationRules and
// pods the simulator watches. It is defined here, where it is consumed, so the
// simulator does not depend on Envoy's API; test/xds implements it over an
// ADS stream.
type RouteTable interface {
	// RouteRequest decides where the sidecar sends req, addressed to port
	// (the service's first port, 0 when the simulator does not know the
	// service), drawing weighted clusters and endpoints from rnd.
	RouteRequest(req Request, port uint32, rnd *rand.Rand) TableRoute
}

// TableRoute is a [RouteTable]'s decision for one request.
type TableRoute struct {
	// Service and Subset name the destination the route drew, zero when
	// none (or when the cluster is not a cluster Service's).
	Service ServiceRef
	Subset  string
	// Endpoint is the IP address of the chosen endpoint; "" when the proxy
	// answers itself with Code and Flags (404 NR, 503 NC, 503 UH, a
	// redirect or a direct response).
	Endpoint string
	Code     int
	// Flags are Envoy's response flags of a local reply, NoFlags when none.
	Flags string
}

// routeLocked routes req with the route table when there is one, else with
// the simulator's view of the mesh. s.mu must be held.
func (s *Sim) routeLocked(req Request) Decision {
	if s.opts.Routes == nil {
		return Route(s.meshLocked(), req, s.rnd)
	}
	return tableDecision(s.watch, s.opts.Routes, req, s.rnd, s.gonePodLocked)
}

// tableDecision routes req with table and finds the pod behind the chosen
// endpoint in m, or among the deleted pods gone still has (nil: none).
// Requests through a gateway are not routed by a sidecar's table: they are
// answered 404 NR.
func tableDecision(m Mesh, table RouteTable, req Request, rnd *rand.Rand, gone func(ns, ip string) *corev1.Pod) Decision {
	if req.Gateway != "" {
		return localReply(req.Service, 404, FlagNoRoute)
	}
	r := table.RouteRequest(req, servicePort(m, req.Service), rnd)
	d := Decision{Upstream: Upstream{Service: r.Service, Subset: r.Subset}, Code: r.Code, Flags: r.Flags}
	if d.Flags == "" {
		d.Flags = NoFlags
	}
	if r.Endpoint == "" {
		return d
	}
	d.Code, d.Flags = 0, NoFlags
	if d.Pod = podWithIP(m, r.Service.Namespace, r.Endpoint); d.Pod == nil && gone != nil {
		d.Pod = gone(r.Service.Namespace, r.Endpoint)
	}
	if d.Pod == nil {
		d.Code, d.Flags = 503, FlagUpstreamFailure
	}
	return d
}

// podWithIP returns the pod of namespace ns with IP ip, the first by name
// when several have it, and nil when none does.
func podWithIP(m Mesh, ns, ip string) *corev1.Pod {
	var found []*corev1.Pod
	for _, p := range m.Pods(ns, labels.Everything()) {
		if p.Status.PodIP == ip {
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return slices.MinFunc(found, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
}

// podIP is a pod's IP in its namespace.
type podIP struct{ namespace, ip string }

// gonePod is a deleted pod and the end of its grace period.
type gonePod struct {
	pod   *corev1.Pod
	until time.Time
}

// defaultGrace is Kubernetes' default terminationGracePeriodSeconds.
const defaultGrace = 30 * time.Second

// podTerminating keeps a deleted pod answering at its IP, in xDS mode, until
// its grace period ends. kwok deletes a pod object at once, where a real
// pod's process runs on through terminationGracePeriodSeconds while the
// endpoint leaves EDS (a draining app, or one with a preStop sleep, answers
// meanwhile); without this every rollout would show 503 UF for istiod's
// EDS delay, with or without a canary.
func (s *Sim) podTerminating(pod *corev1.Pod) {
	if s.opts.Routes == nil || pod.Status.PodIP == "" {
		return
	}
	grace := defaultGrace
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone == nil {
		s.gone = map[podIP]gonePod{}
	}
	s.gone[podIP{pod.Namespace, pod.Status.PodIP}] = gonePod{pod: pod, until: s.opts.Clock.Now().Add(grace)}
}

// gonePodLocked returns the deleted pod with ip in namespace ns whose grace
// period runs, nil when there is none; pods past it are forgotten and their
// series dropped again. s.mu must be held.
func (s *Sim) gonePodLocked(ns, ip string) *corev1.Pod {
	now := s.opts.Clock.Now()
	for key, g := range s.gone {
		if now.After(g.until) {
			delete(s.gone, key)
			s.metrics.podGone(g.pod)
		}
	}
	return s.gone[podIP{ns, ip}].pod
}
