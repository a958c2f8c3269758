package controller

import (
	"context"
	"slices"

	"go.uber.org/zap"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// A release is split in every VirtualService that routes to the service,
// in the namespaces the operator allows (Options.VirtualServiceNamespaces):
// the home VirtualService, which also holds the status, and the others
// istio.Discover finds (mesh VirtualServices, gateway-bound ones,
// delegate children). They all get the same Routing, so the same exact
// weights; the step is applied only when every one carries them
// (istio.ObserveRoutingAll), and a subset leaves the DestinationRule only
// when none names it (istio.ReferencedSubsetsAll). The home is written
// first, with the status, then the others: a crash between the writes
// leaves a status ahead of the others, and the next reconcile writes
// them; it sees them lag (stepper.Observations.Lagging), so the step's
// bake time starts only once every one carries its weight
// (stepper.Status.WeightLagSince). See docs/design.md, "Crash safety".

// discoverRoutes sets s.reaches, s.routing and s.splits: every
// VirtualService besides the home one that routes to s's service, what
// meshcanary does with each, the live ones, and those it splits.
func (c *Controller) discoverRoutes(s *snapshot) {
	home := s.cfg.VirtualService
	if s.vs != nil {
		home = s.vs.Name
	}
	candidates := c.routeCandidates(s.target.Namespace, s.target.Service)
	s.reaches = istio.Discover(candidates, s.target, istio.Scope{
		Home: home, Namespaces: c.allowed, Listed: s.cfg.VirtualServices, DestinationRule: s.dr,
	})
	for _, r := range s.reaches {
		i := slices.IndexFunc(candidates, func(vs *networkingv1.VirtualService) bool {
			return vs.Namespace == r.Namespace && vs.Name == r.Name
		})
		if i < 0 {
			continue // listed and missing
		}
		s.routing = append(s.routing, candidates[i])
		if r.Verdict == istio.Split {
			s.splits = append(s.splits, candidates[i])
		}
	}
}

// allRoutes is the home VirtualService (nil before it exists) and the
// others that carry the release's weights.
func (s *snapshot) allRoutes() []*networkingv1.VirtualService {
	return append([]*networkingv1.VirtualService{s.vs}, s.splits...)
}

// namingRoutes are the live VirtualServices that may name meshcanary's
// subsets of the service: the home one and every other that routes to the
// service, split or not (one split before may still name them).
func (s *snapshot) namingRoutes() []*networkingv1.VirtualService {
	return append([]*networkingv1.VirtualService{s.vs}, s.routing...)
}

// withRoutes records in next which VirtualServices carry its weights and
// which route to the service without them.
func withRoutes(s *snapshot, next stepper.Status) stepper.Status {
	next.VirtualServices, next.Unsplit = nil, nil
	if len(s.splits) > 0 {
		weight := routedWeight(s, next)
		home := s.target.Namespace + "/" + s.target.Service
		if s.vs != nil {
			home = s.vs.Namespace + "/" + s.vs.Name
		}
		next.VirtualServices = append(next.VirtualServices, stepper.SplitVirtualService{Ref: home, Kind: "home", Weight: weight})
		for _, r := range s.reaches {
			if r.Verdict == istio.Split {
				next.VirtualServices = append(next.VirtualServices, stepper.SplitVirtualService{Ref: r.Ref(), Kind: string(r.Kind), Weight: weight})
			}
		}
	}
	for _, r := range s.reaches {
		if msg := r.Message(s.target.Service); msg != "" {
			next.Unsplit = append(next.Unsplit, msg)
		}
	}
	return next
}

// warnUnsplit records a Warning Event and a log line for every
// VirtualService next newly reports as routing to the service without the
// weights, once the status saying it is persisted.
func (c *Controller) warnUnsplit(s *snapshot, next stepper.Status, log *zap.Logger) {
	for _, msg := range next.Unsplit {
		if !slices.Contains(s.status.Unsplit, msg) {
			c.warn(s.user, stepper.ReasonRoutesNotSplit, msg, log)
		}
	}
}

// writeSplits writes the release's routes to every VirtualService split
// besides the home one, after the home (with the status) is written, and
// only those whose routes differ. Each keeps its own hosts and gateways.
// The next reconcile waits for the cache to show these writes (ownWrites).
func (c *Controller) writeSplits(ctx context.Context, s *snapshot, next stepper.Status, route bool) error {
	if !route || len(s.splits) == 0 {
		return nil
	}
	r := routingOf(s, next)
	for _, live := range s.splits {
		own := r
		own.Hosts, own.Gateways = live.Spec.Hosts, live.Spec.Gateways
		desired := istio.DesiredVirtualService(live, own)
		written, err := upsert(ctx, c, c.istio.NetworkingV1().VirtualServices(live.Namespace), "VirtualService",
			"VirtualService "+live.Namespace+"/"+live.Name, live, desired, istio.VirtualServiceEqual)
		if err != nil {
			return err
		}
		if written != nil {
			c.own.wroteSplit(s.user.Namespace+"/"+s.user.Name, live.Namespace+"/"+live.Name, written.Generation, c.clock.Now())
		}
	}
	return nil
}
