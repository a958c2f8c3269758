package controller

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// slotOf is the primary's slot of a Deployment promoted by role swap, as
// the status records it (before adoption, see adoptedSlot); "" when the
// primary is the rollout's copy.
func slotOf(cs *caches, s *snapshot) config.Slot {
	switch {
	case s.status.PrimarySlot != "":
		return s.status.PrimarySlot
	case s.status.Phase == "" && s.cfg.Promotion == config.PromotionSwap:
		get := func(slot config.Slot) *appsv1.Deployment {
			d, _ := cs.primaries.Deployments(s.user.Namespace).Get(config.SlotName(s.user.Name, slot))
			return d
		}
		return adoptedSlot(get(config.SlotA), get(config.SlotB), workload.Revision(&s.user.Spec.Template))
	}
	return ""
}

// adoptedSlot is the slot adoption makes the primary: slot a, unless the
// slots exist already (a status lost with its VirtualService). Then the one
// that runs pods of another revision than the user's template is taken, as
// adoption keeps an existing primary's revision: the user's template may be
// a release that was never promoted. With both running other revisions, or
// neither, the one with more replicas is.
func adoptedSlot(a, b *appsv1.Deployment, userRevision string) config.Slot {
	switch {
	case b == nil:
		return config.SlotA
	case a == nil:
		return config.SlotB
	}
	other := func(d *appsv1.Deployment) bool {
		return workload.Replicas(d) > 0 && d.Annotations[config.RevisionAnnotation] != userRevision
	}
	switch {
	case other(a) && !other(b):
		return config.SlotA
	case other(b) && !other(a):
		return config.SlotB
	case workload.Replicas(b) > workload.Replicas(a):
		return config.SlotB
	}
	return config.SlotA
}

// gatherSlots points the snapshot at the slots of a Deployment promoted by
// role swap: the primary is the slot the status names, the canary the
// other one, and the routes and subsets are the slots'.
func gatherSlots(cs *caches, s *snapshot) {
	s.slot = slotOf(cs, s)
	if s.slot == "" {
		return
	}
	s.cfg.PrimaryName = config.SlotName(s.user.Name, s.slot)
	s.target.Slot = s.slot
	s.canary, _ = cs.primaries.Deployments(s.user.Namespace).Get(config.SlotName(s.user.Name, s.slot.Other()))
}

// swapProblems are the reasons the promotion a Deployment asks for cannot
// be used: it differs from the one it was adopted with (the workloads
// differ: a copy named primary-name, or two slots), or, by role swap, an
// HPA or a routing strategy, which the slots do not support yet.
func swapProblems(s *snapshot) config.Problems {
	key := config.Prefix + config.KeyPromotion
	value := string(s.cfg.Promotion)
	adopted := config.PromotionRollout
	if s.status.PrimarySlot != "" {
		adopted = config.PromotionSwap
	}
	switch {
	case s.status.Phase != "" && adopted != s.cfg.Promotion:
		return config.Problems{{Key: key, Value: value, Valid: fmt.Sprintf(
			"%q, the promotion the Deployment was adopted with; to change it, opt the Deployment out (remove the label %s) and in again",
			adopted, config.EnabledLabel)}}
	case s.cfg.Promotion != config.PromotionSwap:
		return nil
	case s.userHPA != nil:
		return config.Problems{{Key: key, Value: value, Valid: fmt.Sprintf(
			"%q while HorizontalPodAutoscaler %s scales the Deployment: a promotion by role swap does not support an HPA yet",
			config.PromotionRollout, s.userHPA.Name)}}
	case len(s.strategy.Match) > 0 || s.strategy.Mirror != nil || s.strategy.Sticky != nil:
		return config.Problems{{Key: key, Value: value, Valid: fmt.Sprintf(
			"%q while %sstrategy.* annotations shape the routes: a promotion by role swap routes by weight only",
			config.PromotionRollout, config.Prefix)}}
	}
	return nil
}

// observeCanarySlot describes the canary's slot to the stepper, as the
// user's Deployment describes the canary of a rollout: available once it
// runs the user's current revision with all its replicas.
func observeCanarySlot(o *stepper.Observations, s *snapshot) {
	if s.canary == nil {
		return
	}
	o.CanaryReplicas = workload.Replicas(s.canary)
	o.CanaryAvailable = s.canary.Annotations[config.RevisionAnnotation] == o.Revision && workload.Available(s.canary)
	o.CanaryUnobserved = s.canary.Status.ObservedGeneration < s.canary.Generation
	o.CanaryProgressAt = workload.LastProgress(s.canary)
	o.CanaryTimedOutAt = workload.TimedOut(s.canary)
}

// canaryDeployment is the Deployment that runs the canary: the user's for
// a rollout, the slot that is not the primary's for a role swap.
func (s *snapshot) canaryDeployment() *appsv1.Deployment {
	if s.slot == "" {
		return s.user
	}
	return s.canary
}

// canaryReadyReplicas is the canary's count of Ready pods.
func (s *snapshot) canaryReadyReplicas() int32 {
	if d := s.canaryDeployment(); d != nil {
		return d.Status.ReadyReplicas
	}
	return 0
}

// slotSpec is the spec of slot's Deployment at revision rev.
func (s *snapshot) slotSpec(slot config.Slot, rev string, replicas *int32) workload.PrimarySpec {
	return workload.PrimarySpec{Name: config.SlotName(s.user.Name, slot), Revision: rev, Replicas: replicas,
		Owner: *s.target.Owner, Slot: slot}
}

// applyCanarySlot writes the canary's slot of a role swap as the decision
// next says, in one of two places in a reconcile, as scaleCanary does for
// a rollout's canary: a scale-down before the status is persisted (before
// is set), a scale-up and the release's template after it, in one write.
// The template is copied only when the stepper asks (Actions.CanaryRevision:
// at step 0, whose weight 0 the status write just persisted with the
// routes), so a slot under weight keeps its pods. After a swap in this
// decision, the canary's slot is the former primary's. A release's start
// is recorded in the same write (s.recordsStart, see recordStart).
func (c *Controller) applyCanarySlot(ctx context.Context, s *snapshot, next stepper.Status, act stepper.Actions, before bool) error {
	if s.slot == "" {
		return nil
	}
	slot := next.PrimarySlot.Other()
	live := s.canary
	if slot == s.slot {
		live = s.primary
	}
	replicas := stepper.CanaryReplicas(s.cfg, next, act, s.obs)
	current := int32(0)
	if live != nil {
		current = workload.Replicas(live)
	}
	rescale := replicas != nil && *replicas != current && (*replicas < current) == before
	rev := ""
	if live != nil {
		rev = live.Annotations[config.RevisionAnnotation]
	}
	retemplate := !before && act.CanaryRevision != "" && act.CanaryRevision == s.obs.Revision && act.CanaryRevision != rev
	if retemplate {
		rev = act.CanaryRevision
	}
	record := !before && s.recordsStart
	if !rescale && !retemplate && !record || live == nil && !retemplate {
		return nil
	}
	desired := workload.DesiredPrimary(s.user, live, s.slotSpec(slot, rev, replicas))
	if record {
		if desired.Annotations == nil {
			desired.Annotations = map[string]string{}
		}
		desired.Annotations[config.ReleaseAnnotation] = next.Encode()
	}
	_, err := upsert(ctx, c, c.kube.AppsV1().Deployments(s.user.Namespace), "Deployment", "canary slot "+desired.Name, live, desired, nil)
	if apierrors.IsAlreadyExists(err) {
		return nil // created by an earlier reconcile the cache does not show yet
	}
	if err == nil && record {
		c.own.wroteRecord(s.user.Namespace+"/"+s.user.Name, desired.Annotations[config.ReleaseAnnotation], c.clock.Now())
	}
	return err
}
