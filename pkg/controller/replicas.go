package controller

import (
	"context"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// observeReplicas adds the replica counts to the observations: the user's
// Deployment's, the primary's and the bounds of the user's HPA.
func observeReplicas(o *stepper.Observations, s *snapshot) {
	o.UserReplicas, o.UserGeneration = workload.Replicas(s.user), s.user.Generation
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

// replicasByOthers reads the user's Deployment from the API (the cache
// keeps no managedFields) and reports whether its spec.replicas was last
// changed by someone other than meshcanary: an update that changes a field
// makes its field manager the field's only owner. It runs only when the
// stepper cannot tell a canary's leftover count from a user's scale
// without it (stepper.ReplicasOwnerNeeded): one GET, at most once per
// release's end or per scale while idle.
func (c *Controller) replicasByOthers(ctx context.Context, user *appsv1.Deployment) (bool, error) {
	live, err := c.kube.AppsV1().Deployments(user.Namespace).Get(ctx, user.Name, metav1.GetOptions{})
	if err != nil {
		return false, fmt.Errorf("reading Deployment %s/%s: %w", user.Namespace, user.Name, err)
	}
	return replicasOwnedByOthers(live.ManagedFields), nil
}

// replicasOwnedByOthers reports whether a field manager other than
// meshcanary's owns spec.replicas in managed.
func replicasOwnedByOthers(managed []metav1.ManagedFieldsEntry) bool {
	for _, e := range managed {
		if e.Manager == config.FieldManager || e.FieldsV1 == nil {
			continue
		}
		var fields struct {
			Spec map[string]json.RawMessage `json:"f:spec"`
		}
		if json.Unmarshal(e.FieldsV1.GetRawBytes(), &fields) != nil {
			continue
		}
		if _, ok := fields.Spec["f:replicas"]; ok {
			return true
		}
	}
	return false
}
