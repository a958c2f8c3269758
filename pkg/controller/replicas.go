package controller

import (
	"context"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// observeReplicas adds the replica counts to the observations: the user's
// Deployment's, the primary's and the bounds of the user's HPA.
func observeReplicas(o *stepper.Observations, s *snapshot) {
	o.UserReplicas = workload.Replicas(s.user)
	if s.primary != nil {
		n := workload.Replicas(s.primary)
		o.PrimaryReplicas = &n
	}
	if s.userHPA != nil {
		o.HPA = &stepper.ReplicaBounds{Min: 1, Max: s.userHPA.Spec.MaxReplicas}
		if m := s.userHPA.Spec.MinReplicas; m != nil {
			o.HPA.Min = *m
		}
	}
}

// scalePrimaryFirst gives the primary the count the user gave their
// Deployment while idle, before the status that scales the user's
// Deployment back to 0 is persisted: a crash in between leaves the count in
// both, and the next reconcile moves it again (the primary's write then is
// a no-op), so the user's scale is never lost.
func (c *Controller) scalePrimaryFirst(ctx context.Context, s *snapshot, act stepper.Actions) error {
	if act.ScalePrimary <= 0 || s.primary == nil || workload.Replicas(s.primary) == act.ScalePrimary {
		return nil
	}
	p := s.primary.DeepCopy()
	p.Spec.Replicas = &act.ScalePrimary
	_, err := c.kube.AppsV1().Deployments(p.Namespace).Update(ctx, p, updateOpts)
	return wrap(c.counted("Deployment", "update", err), "scaling primary %s", p.Name)
}
