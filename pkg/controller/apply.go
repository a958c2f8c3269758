package controller

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/strategy"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// persist writes the decided status, the release's intent, no later than
// the traffic it implies: the subsets, then the home VirtualService with
// the routes and the status in one write (writeHome). A crash, a lost
// lease or a conflict at any later write leaves a status that is ahead of
// the cluster, never behind it, so the next reconcile carries the same
// decision forward instead of undoing it (see docs/design.md, "Crash
// safety"). Two writes come before it: a count the user gave their
// Deployment while idle, which goes to the primary before the Deployment
// is scaled back to 0 (scalePrimaryFirst), and a scale-down of the idle
// canary (scaleCanary), which must not follow a status that no longer
// marks the canary's replicas as its own.
func (c *Controller) persist(ctx context.Context, s *snapshot, next stepper.Status, act stepper.Actions, log *zap.Logger) error {
	if err := c.scalePrimaryFirst(ctx, s, act); err != nil {
		return err
	}
	if err := c.scaleCanary(ctx, s, next, act, true); err != nil {
		return err
	}
	if err := c.applyCanarySlot(ctx, s, next, act, true); err != nil {
		return err
	}
	if err := c.applyDestinationRule(ctx, s, next); err != nil {
		return err
	}
	if err := c.writeHome(ctx, s, next, act.Route, log); err != nil {
		return err
	}
	return c.writeSplits(ctx, s, next, act.Route)
}

// converge makes the persisted decision true, writing only objects whose
// desired state differs from the live one: the primary and the HPA twin,
// then the canary's replicas when it scales up. Updates carry the cached
// resourceVersion, so a concurrent edit makes the write fail with a
// conflict and the reconcile is retried on fresh state: nobody's edit is
// lost or overwritten.
func (c *Controller) converge(ctx context.Context, s *snapshot, next stepper.Status, act stepper.Actions, log *zap.Logger) error {
	if err := c.applyPrimary(ctx, s, act, log); err != nil {
		return err
	}
	if err := c.applyHPATwin(ctx, s); err != nil {
		return err
	}
	if err := c.scaleCanary(ctx, s, next, act, false); err != nil {
		return err
	}
	return c.applyCanarySlot(ctx, s, next, act, false)
}

func (c *Controller) applyPrimary(ctx context.Context, s *snapshot, act stepper.Actions, log *zap.Logger) error {
	if act.RepairPrimary != nil {
		return c.repairPrimary(ctx, s, *act.RepairPrimary, log)
	}
	if act.PrimaryRevision == "" || act.PrimaryRevision != s.obs.Revision {
		return nil
	}
	if s.primary != nil && s.primary.Annotations[config.RevisionAnnotation] == act.PrimaryRevision {
		return nil
	}
	spec := workload.PrimarySpec{Name: s.cfg.PrimaryName, Revision: act.PrimaryRevision, Owner: *s.target.Owner, Slot: s.slot}
	if s.primary == nil && workload.Replicas(s.user) == 0 {
		one := int32(1)
		spec.Replicas = &one
	}
	desired := workload.DesiredPrimary(s.user, s.primary, spec)
	_, err := upsert(ctx, c, c.kube.AppsV1().Deployments(s.user.Namespace), "Deployment", "primary "+desired.Name, s.primary, desired, nil)
	if apierrors.IsAlreadyExists(err) {
		return nil // created by an earlier reconcile the cache does not show yet
	}
	return err
}

func (c *Controller) applyHPATwin(ctx context.Context, s *snapshot) error {
	hpas := c.kube.AutoscalingV2().HorizontalPodAutoscalers(s.user.Namespace)
	switch {
	case s.userHPA == nil && s.twinHPA == nil:
		return nil
	case s.userHPA == nil:
		return c.remove(ctx, "HorizontalPodAutoscaler", "HPA twin "+s.twinHPA.Name, s.twinHPA.Name, hpas.Delete)
	}
	desired := workload.DesiredHPATwin(s.userHPA, s.twinHPA, s.user.Name, s.cfg.PrimaryName, *s.target.Owner)
	_, err := upsert(ctx, c, hpas, "HorizontalPodAutoscaler", "HPA twin "+desired.Name, s.twinHPA, desired, hpaTwinEqual)
	return err
}

// hpaTwinEqual reports whether the live HPA twin already has the desired
// spec and labels.
func hpaTwinEqual(live, desired *autoscalingv2.HorizontalPodAutoscaler) bool {
	return equality.Semantic.DeepEqual(desired.Spec, live.Spec) && equality.Semantic.DeepEqual(desired.Labels, live.Labels)
}

// applyDestinationRule writes the subsets. The canary subset follows the
// release's hash, except while the live VirtualService gives the canary
// weight: then the subset those requests use stays as it is until the
// weight is gone (a superseded release first routes back to the primary);
// and while the new hash is pending (see canaryHash), when it stays as it
// is until the hash is known.
func (c *Controller) applyDestinationRule(ctx context.Context, s *snapshot, next stepper.Status) error {
	hash := next.CanaryHash
	if s.hashPending || istio.ReferencedSubsetsAll(s.namingRoutes(), s.target).Has(config.SubsetCanary) {
		hash = istio.CanaryHashOf(s.dr)
	}
	desired := istio.DesiredDestinationRule(s.dr, s.target, hash)
	_, err := upsert(ctx, c, c.istio.NetworkingV1().DestinationRules(s.user.Namespace), "DestinationRule",
		"DestinationRule "+desired.Name, s.dr, desired, istio.DestinationRuleEqual)
	return err
}

// writeHome persists the status in the home VirtualService, in one write
// with the routes when route is set: created when there is none yet,
// updated when the routes or the status differ, left alone otherwise (a
// status that only learned the canary's hash waits for the next write). A
// canary without a single Ready pod gets no weight, whatever the status
// says. Without a home and without routes to create one with (adoption
// before the primary serves, invalid configuration), the status is kept
// in memory until there is (see pending).
func (c *Controller) writeHome(ctx context.Context, s *snapshot, next stepper.Status, route bool, log *zap.Logger) error {
	key := s.user.Namespace + "/" + s.user.Name
	var desired *networkingv1.VirtualService
	switch {
	case route:
		desired = c.desiredRoutes(s, next, log)
	case s.vs != nil:
		desired = s.vs.DeepCopy()
	default:
		c.setPending(key, next)
		return nil
	}
	status := next.Encode()
	if desired.Annotations == nil {
		desired.Annotations = map[string]string{}
	}
	desired.Annotations[config.StatusAnnotation] = status
	desired.Annotations[config.RoutesForAnnotation] = s.user.Name
	if s.vs != nil && (recordHolds(s, next, desired) || recordStart(s, next, desired)) {
		return nil // the canary's slot holds the status of step 0: see recordStart
	}
	if s.vs != nil && (istio.VirtualServiceEqual(s.vs, desired) ||
		s.statusFrom == fromHome && proto.Equal(&s.vs.Spec, &desired.Spec) && onlyHashLearned(s.status, s.statusRaw, next)) {
		s.homeHolds = true
		c.clearPending(key)
		return nil
	}
	if s.vs != nil {
		c.warnSkippedRoutes(s, desired, log)
	}
	if _, err := upsert(ctx, c, c.istio.NetworkingV1().VirtualServices(s.user.Namespace), "VirtualService",
		"VirtualService "+desired.Name, s.vs, desired, nil); err != nil {
		return err
	}
	c.wroteHome(s, status)
	return nil
}

// warnSkippedRoutes warns, when a write changes the routes of the home
// VirtualService, about its routes that also send to other destinations
// and are therefore left unsplit.
func (c *Controller) warnSkippedRoutes(s *snapshot, desired *networkingv1.VirtualService, log *zap.Logger) {
	if skipped := istio.SkippedRoutes(s.vs, s.target); len(skipped) > 0 && !proto.Equal(&s.vs.Spec, &desired.Spec) {
		msg := fmt.Sprintf("VirtualService %s: routes %s also send to other destinations and are left unsplit; their traffic reaches primary and canary pods alike",
			s.vs.Name, strings.Join(skipped, ", "))
		c.warn(s.user, stepper.ReasonRoutesNotSplit, msg, log)
	}
}

// wroteHome records a status write to the home VirtualService: the next
// reconcile waits for the cache to show it, and the status decided in
// memory is no longer needed.
func (c *Controller) wroteHome(s *snapshot, status string) {
	key := s.user.Namespace + "/" + s.user.Name
	c.own.wrote(key, status, c.clock.Now())
	c.clearPending(key)
	s.homeHolds = true
}

// desiredRoutes is the home VirtualService routing the service to the
// subsets with the status's weight.
func (c *Controller) desiredRoutes(s *snapshot, next stepper.Status, log *zap.Logger) *networkingv1.VirtualService {
	if next.Weight > 0 && s.canaryReadyReplicas() == 0 {
		log.Warn("canary has no Ready pod; routing it no traffic", zap.Int32("wantedWeight", next.Weight))
	}
	return istio.DesiredVirtualService(s.vs, routingOf(s, next))
}

// routedWeight is the canary weight the routes get for next: its weight,
// or 0 while the canary has no Ready pod.
func routedWeight(s *snapshot, next stepper.Status) int32 {
	if next.Weight > 0 && s.canaryReadyReplicas() == 0 {
		return 0
	}
	return next.Weight
}

// routingOf is the Routing of every VirtualService split for next.
func routingOf(s *snapshot, next stepper.Status) istio.Routing {
	r := istio.Routing{Target: s.target, Weight: routedWeight(s, next), Total: next.Total, Gateways: s.cfg.Gateways, Hosts: s.cfg.Hosts}
	r.Target.Slot = next.PrimarySlot // a promotion by role swap routes to the new primary's slot
	if r.Total == 0 {
		r.Total = s.cfg.Total
	}
	stage := stepper.StrategyStage(next)
	r.Shaping = s.strategy.Routes(stage, next.CanaryHash)
	r.CanaryReady = stage != strategy.Idle && s.canaryReadyReplicas() > 0 && s.obs.SubsetsReady
	return r
}

// scaleCanary writes the replicas the decision gives the user's Deployment
// (the canary of a rollout; held at 0 by a role swap, see
// stepper.UserReplicas), in one of two places in a reconcile: a scale-down before the
// status is persisted (before is set), a scale-up after. A scale-up before
// it could leave a running canary under a status that says idle, where its
// replicas would be taken for a user's scale; a scale-down is re-decided
// from the persisted status (idle, drain over) and must not follow a status
// that no longer says the replicas are the canary's. The write after the
// status also removes an older meshcanary's status annotation from the
// Deployment once the home holds the status (one write, at upgrade). A
// scale-up does not wait for the Deployment controller to observe the new
// template: it takes in both in one sync (far behind, as with hundreds of
// canaries released at once, a second trip through its queue would delay
// every canary's start), and a conflict with its status update is retried
// on the live object (updateUser).
func (c *Controller) scaleCanary(ctx context.Context, s *snapshot, next stepper.Status, act stepper.Actions, before bool) error {
	replicas := stepper.UserReplicas(s.cfg, next, act, s.obs)
	current := workload.Replicas(s.user)
	change := replicas != nil && *replicas != current && (*replicas < current) == before
	_, legacy := s.user.Annotations[config.StatusAnnotation]
	legacy = legacy && !before && (s.homeHolds || s.statusFrom == fromHome || s.statusFrom == fromSlot)
	if !change && !legacy {
		return nil
	}
	d := s.user.DeepCopy()
	if change {
		d.Spec.Replicas = replicas
	}
	if legacy {
		delete(d.Annotations, config.StatusAnnotation)
	}
	written, err := c.updateUser(ctx, s.user, d)
	if err != nil {
		return wrap(err, "updating Deployment %s", d.Name)
	}
	c.own.wroteUser(d.Namespace+"/"+d.Name, written.Generation, c.clock.Now())
	s.user = written
	return nil
}
