package controller

import (
	"context"
	"fmt"

	"go.uber.org/zap"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// repairPrimary recreates a deleted primary, or scales an emptied one back,
// as the stepper decided: the stable revision at the count it had. The
// status recording the outage (PrimaryMissing, a Warning Event) is already
// persisted, so a crash here repeats the repair, not the Event.
func (c *Controller) repairPrimary(ctx context.Context, s *snapshot, r stepper.PrimaryRepair, log *zap.Logger) error {
	deployments := c.kube.AppsV1().Deployments(s.user.Namespace)
	replicas := r.Replicas
	if s.primary != nil {
		log.Warn("primary scaled to 0 while idle; scaling it back", zap.String("primary", s.primary.Name), zap.Int32("replicas", replicas))
		p := s.primary.DeepCopy()
		p.Spec.Replicas = &replicas
		_, err := deployments.Update(ctx, p, updateOpts)
		if err := c.counted("Deployment", "update", err); err != nil {
			return wrap(err, "scaling primary %s back", p.Name)
		}
		c.metrics.PrimaryRepairs.WithLabelValues(s.user.Namespace, "scaled-to-zero").Inc()
		return nil
	}
	source, err := c.templateOf(ctx, s.user, r.Revision)
	if err != nil {
		return err
	}
	log.Warn("primary missing while idle; recreating it", zap.String("primary", s.cfg.PrimaryName),
		zap.String("revision", r.Revision), zap.Int32("replicas", replicas))
	spec := workload.PrimarySpec{Name: s.cfg.PrimaryName, Revision: r.Revision, Replicas: &replicas, Owner: *s.target.Owner, Slot: s.slot}
	_, err = deployments.Create(ctx, workload.DesiredPrimary(source, nil, spec), createOpts)
	switch err = c.counted("Deployment", "create", err); {
	case apierrors.IsAlreadyExists(err):
		return nil // recreated by an earlier reconcile the cache does not show yet
	case err != nil:
		return wrap(err, "recreating primary %s", s.cfg.PrimaryName)
	}
	c.metrics.PrimaryRepairs.WithLabelValues(s.user.Namespace, "deleted").Inc()
	return nil
}

// templateOf returns user with the pod template of revision rev: its own
// when it is that revision, else the one kept by its ReplicaSet of that
// revision (the Deployment controller keeps old ReplicaSets, scaled to 0,
// up to revisionHistoryLimit). It reads the ReplicaSets (one LIST, only in
// this abnormal path).
func (c *Controller) templateOf(ctx context.Context, user *appsv1.Deployment, rev string) (*appsv1.Deployment, error) {
	if workload.Revision(&user.Spec.Template) == rev {
		return user, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(user.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("selector of Deployment %s: %w", user.Name, err)
	}
	list, err := c.kube.AppsV1().ReplicaSets(user.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("listing ReplicaSets of %s/%s: %w", user.Namespace, user.Name, err)
	}
	for i := range list.Items {
		if tpl := withoutHash(&list.Items[i].Spec.Template); metav1.IsControlledBy(&list.Items[i], user) && workload.Revision(tpl) == rev {
			d := user.DeepCopy()
			d.Spec.Template = *tpl
			return d, nil
		}
	}
	return nil, fmt.Errorf("no template of stable revision %s: Deployment %s runs another and none of its ReplicaSets has it; the primary cannot be recreated", rev, user.Name)
}

// withoutHash returns a copy of a ReplicaSet's template without the
// pod-template-hash label the Deployment controller added.
func withoutHash(rsTpl *corev1.PodTemplateSpec) *corev1.PodTemplateSpec {
	tpl := rsTpl.DeepCopy()
	delete(tpl.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return tpl
}
