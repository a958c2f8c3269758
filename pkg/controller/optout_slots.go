package controller

import (
	"context"

	"go.uber.org/zap"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// statusSlot is the primary's slot the status in vss (the VirtualServices
// meshcanary routes for one Deployment of namespace ns) records; "" for a
// rollout, or once the status is gone.
func statusSlot(vss []*networkingv1.VirtualService, ns string) config.Slot {
	home := statusHolder(vss, ns)
	if home == nil {
		return ""
	}
	st, _, err := stepper.ParseStatus(home.Annotations[config.StatusAnnotation])
	if err != nil {
		return ""
	}
	return st.PrimarySlot
}

// primaryOf picks, among the Deployments meshcanary owns for the user's
// Deployment name, the one serving as its primary during an opt-out: the
// slot the status names; without a status (restored already), the one
// running the user's template (the opt-out went on because the primary
// runs it), else the first.
func primaryOf(owned []*appsv1.Deployment, name string, slot config.Slot, user *appsv1.Deployment) *appsv1.Deployment {
	want := ""
	if slot != "" {
		want = config.SlotName(name, slot)
	}
	var running *appsv1.Deployment
	for _, d := range owned {
		if d.Name == want {
			return d
		}
		if running == nil && user != nil && d.Annotations[config.RevisionAnnotation] == workload.Revision(&user.Spec.Template) {
			running = d
		}
	}
	switch {
	case running != nil:
		return running
	case len(owned) > 0:
		return owned[0]
	}
	return nil
}

// idleCanarySlot scales the canary's slot of a role swap (the one of
// owned that is not primary) to 0 during an opt-out, before the routes go
// back to the plain service host, which would reach its pods: they may run
// a revision whose release the opt-out did not finish. It reports whether
// the opt-out must wait for its pods to go. A rollout has no such slot.
func (c *Controller) idleCanarySlot(ctx context.Context, owned []*appsv1.Deployment, primary *appsv1.Deployment, log *zap.Logger) (bool, error) {
	for _, d := range owned {
		if d == primary || d.Spec.Selector == nil || d.Spec.Selector.MatchLabels[config.SlotLabel] == "" {
			continue
		}
		if workload.Replicas(d) > 0 {
			log.Info("opt-out: scaling the canary's slot to 0 before handing traffic back", zap.String("slot", d.Name))
			idle := d.DeepCopy()
			idle.Spec.Replicas = ptr.To[int32](0)
			_, err := c.kube.AppsV1().Deployments(d.Namespace).Update(ctx, idle, updateOpts)
			return true, wrap(c.counted("Deployment", "update", err), "scaling the canary's slot %s to 0", d.Name)
		}
		if d.Status.Replicas > 0 {
			return true, nil
		}
	}
	return false, nil
}

// primaryLast is owned with primary moved to the end: an opt-out deletes
// the canary's slot of a role swap first, so that a crash between the two
// deletions leaves the primary, which the next reconcile recognises.
func primaryLast(owned []*appsv1.Deployment, primary *appsv1.Deployment) []*appsv1.Deployment {
	out := make([]*appsv1.Deployment, 0, len(owned))
	for _, d := range owned {
		if d != primary {
			out = append(out, d)
		}
	}
	if primary != nil && len(out) < len(owned) {
		out = append(out, primary)
	}
	return out
}
