package controller

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/strategy"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

var (
	createOpts = metav1.CreateOptions{FieldManager: config.FieldManager}
	updateOpts = metav1.UpdateOptions{FieldManager: config.FieldManager}
)

// persist writes the decided status, the release's intent, before anything
// it implies: the user's Deployment with its status annotation and, when
// they change, its replicas, in one update. A crash, a lost lease or a
// conflict at any later write leaves a status that is ahead of the cluster,
// never behind it, so the next reconcile carries the same decision forward
// instead of undoing it (see docs/design.md, "Crash safety"). The one write
// before it is a count the user gave their Deployment while idle, which
// goes to the primary before the Deployment is scaled back to 0.
func (c *Controller) persist(ctx context.Context, s *snapshot, next stepper.Status, act stepper.Actions) error {
	if err := c.scalePrimaryFirst(ctx, s, act); err != nil {
		return err
	}
	return c.writeUser(ctx, s.user, stepper.CanaryReplicas(s.cfg, next, act, s.obs), next)
}

// converge makes the persisted decision true, writing only objects whose
// desired state differs from the live one: the primary and the HPA twin,
// the subsets, then the routes. Updates carry the cached resourceVersion, so
// a concurrent edit makes the write fail with a conflict and the reconcile
// is retried on fresh state: nobody's edit is lost or overwritten.
func (c *Controller) converge(ctx context.Context, s *snapshot, next stepper.Status, act stepper.Actions, log *zap.Logger) error {
	if err := c.applyPrimary(ctx, s, act, log); err != nil {
		return err
	}
	if err := c.applyHPATwin(ctx, s); err != nil {
		return err
	}
	if err := c.applyDestinationRule(ctx, s, next); err != nil {
		return err
	}
	if !act.Route {
		return nil
	}
	return c.applyVirtualService(ctx, s, next, log)
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
	spec := workload.PrimarySpec{Name: s.cfg.PrimaryName, Revision: act.PrimaryRevision, Owner: *s.target.Owner}
	if s.primary == nil && workload.Replicas(s.user) == 0 {
		one := int32(1)
		spec.Replicas = &one
	}
	desired := workload.DesiredPrimary(s.user, s.primary, spec)
	deployments := c.kube.AppsV1().Deployments(s.user.Namespace)
	if s.primary == nil {
		_, err := deployments.Create(ctx, desired, createOpts)
		c.countWrite("Deployment", "create")
		return wrap(err, "creating primary %s", desired.Name)
	}
	_, err := deployments.Update(ctx, desired, updateOpts)
	c.countWrite("Deployment", "update")
	return wrap(err, "updating primary %s", desired.Name)
}

func (c *Controller) applyHPATwin(ctx context.Context, s *snapshot) error {
	hpas := c.kube.AutoscalingV2().HorizontalPodAutoscalers(s.user.Namespace)
	switch {
	case s.userHPA == nil && s.twinHPA == nil:
		return nil
	case s.userHPA == nil:
		err := hpas.Delete(ctx, s.twinHPA.Name, metav1.DeleteOptions{})
		c.countWrite("HorizontalPodAutoscaler", "delete")
		return wrap(ignoreNotFound(err), "deleting HPA twin %s", s.twinHPA.Name)
	}
	desired := workload.DesiredHPATwin(s.userHPA, s.twinHPA, s.user.Name, s.cfg.PrimaryName, *s.target.Owner)
	if s.twinHPA == nil {
		_, err := hpas.Create(ctx, desired, createOpts)
		c.countWrite("HorizontalPodAutoscaler", "create")
		return wrap(err, "creating HPA twin %s", desired.Name)
	}
	if equality.Semantic.DeepEqual(desired.Spec, s.twinHPA.Spec) && equality.Semantic.DeepEqual(desired.Labels, s.twinHPA.Labels) {
		return nil
	}
	_, err := hpas.Update(ctx, desired, updateOpts)
	c.countWrite("HorizontalPodAutoscaler", "update")
	return wrap(err, "updating HPA twin %s", desired.Name)
}

// applyDestinationRule writes the subsets. The canary subset follows the
// release's hash, except while the live VirtualService gives the canary
// weight: then the subset those requests use stays as it is until the
// weight is gone (a superseded release first routes back to the primary).
func (c *Controller) applyDestinationRule(ctx context.Context, s *snapshot, next stepper.Status) error {
	hash := next.CanaryHash
	if istio.ReferencedSubsets(s.vs, s.target).Has(config.SubsetCanary) {
		hash = istio.CanaryHashOf(s.dr)
	}
	desired := istio.DesiredDestinationRule(s.dr, s.target, hash)
	drs := c.istio.NetworkingV1().DestinationRules(s.user.Namespace)
	if s.dr == nil {
		_, err := drs.Create(ctx, desired, createOpts)
		c.countWrite("DestinationRule", "create")
		return wrap(err, "creating DestinationRule %s", desired.Name)
	}
	if istio.DestinationRuleEqual(s.dr, desired) {
		return nil
	}
	_, err := drs.Update(ctx, desired, updateOpts)
	c.countWrite("DestinationRule", "update")
	return wrap(err, "updating DestinationRule %s", desired.Name)
}

// applyVirtualService routes the service to the subsets with the status's
// weight. A canary without a single Ready pod gets no weight, whatever the
// status says.
func (c *Controller) applyVirtualService(ctx context.Context, s *snapshot, next stepper.Status, log *zap.Logger) error {
	weight := next.Weight
	if weight > 0 && s.user.Status.ReadyReplicas == 0 {
		log.Warn("canary has no Ready pod; routing it no traffic", zap.Int32("wantedWeight", weight))
		weight = 0
	}
	r := istio.Routing{Target: s.target, Weight: weight, Total: next.Total, Gateways: s.cfg.Gateways, Hosts: s.cfg.Hosts}
	if r.Total == 0 {
		r.Total = s.cfg.Total
	}
	stage := strategyStage(next)
	r.Strategy = s.strategy.Routes(stage, next.CanaryHash)
	r.CanaryReady = stage != strategy.Idle && s.user.Status.ReadyReplicas > 0 && s.obs.SubsetsReady
	desired := istio.DesiredVirtualService(s.vs, r)
	vss := c.istio.NetworkingV1().VirtualServices(s.user.Namespace)
	if s.vs == nil {
		_, err := vss.Create(ctx, desired, createOpts)
		c.countWrite("VirtualService", "create")
		return wrap(err, "creating VirtualService %s", desired.Name)
	}
	if istio.VirtualServiceEqual(s.vs, desired) {
		return nil
	}
	if skipped := istio.SkippedRoutes(s.vs, s.target); len(skipped) > 0 {
		msg := fmt.Sprintf("VirtualService %s: routes %s also send to other destinations and are left unsplit; their traffic reaches primary and canary pods alike",
			s.vs.Name, strings.Join(skipped, ", "))
		log.Warn(msg)
		c.recorder.Event(s.user, corev1.EventTypeWarning, "RoutesNotSplit", msg)
	}
	_, err := vss.Update(ctx, desired, updateOpts)
	c.countWrite("VirtualService", "update")
	return wrap(err, "updating VirtualService %s", desired.Name)
}

// strategyStage says which routes the strategy adds for a status: none
// while idle or before the canary is ready, the mirror while mirroring,
// the A/B and sticky routes while stepping and promoting.
func strategyStage(s stepper.Status) strategy.Stage {
	phase := s.Phase
	if phase == stepper.PhasePaused {
		phase = s.PausedFrom
	}
	switch {
	case phase == stepper.PhaseProgressing && s.Mirroring:
		return strategy.Mirroring
	case phase == stepper.PhaseProgressing && s.Step >= 1, phase == stepper.PhasePromoting && s.Weight > 0:
		return strategy.Stepping
	}
	return strategy.Idle
}

// writeUser updates the user's Deployment when its replicas (if given) or
// its status annotation differ from what is wanted, in one write.
func (c *Controller) writeUser(ctx context.Context, user *appsv1.Deployment, replicas *int32, next stepper.Status) error {
	status := encodeStatus(next)
	sameReplicas := replicas == nil || workload.Replicas(user) == *replicas
	if sameReplicas && user.Annotations[config.StatusAnnotation] == status {
		return nil
	}
	d := user.DeepCopy()
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[config.StatusAnnotation] = status
	if !sameReplicas {
		d.Spec.Replicas = replicas
	}
	if err := c.updateUser(ctx, user, d); err != nil {
		return wrap(err, "updating Deployment %s", d.Name)
	}
	c.own.wrote(d.Namespace+"/"+d.Name, status, c.clock.Now())
	return nil
}

func (c *Controller) countWrite(kind, verb string) {
	c.metrics.Writes.WithLabelValues(kind, verb).Inc()
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
