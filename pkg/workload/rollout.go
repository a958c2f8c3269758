package workload

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
)

// Replicas returns the desired replica count of d (1 when unset, as the
// apiserver defaults it).
func Replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

// Available reports whether d has rolled out its current template and every
// one of its desired replicas (at least one) is available: the Deployment
// controller has observed the latest generation, no old pods remain, and the
// available count equals the desired count.
func Available(d *appsv1.Deployment) bool {
	if d == nil {
		return false
	}
	want := Replicas(d)
	s := d.Status
	return want > 0 &&
		s.ObservedGeneration >= d.Generation &&
		s.UpdatedReplicas == want &&
		s.Replicas == want &&
		s.AvailableReplicas == want
}

// CurrentHash returns the pod-template-hash label of the ReplicaSet among rss
// that d owns and whose template equals d's template (ignoring that label),
// or "" when the Deployment controller has not created it yet.
func CurrentHash(d *appsv1.Deployment, rss []*appsv1.ReplicaSet) string {
	for _, rs := range rss {
		if !ownedBy(rs, d) {
			continue
		}
		hash := rs.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
		if hash == "" {
			continue
		}
		if templatesEqualIgnoringHash(&rs.Spec.Template, &d.Spec.Template) {
			return hash
		}
	}
	return ""
}

func ownedBy(rs *appsv1.ReplicaSet, d *appsv1.Deployment) bool {
	for _, ref := range rs.OwnerReferences {
		if ref.UID == d.UID && ref.Controller != nil && *ref.Controller {
			return true
		}
	}
	return false
}

func templatesEqualIgnoringHash(rsTpl, dTpl *corev1.PodTemplateSpec) bool {
	a := rsTpl.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	if len(a.Labels) == 0 && len(dTpl.Labels) == 0 {
		a.Labels = dTpl.Labels
	}
	return equality.Semantic.DeepEqual(a, dTpl)
}

// LastProgress returns when the Deployment controller last reported
// progress of d: the later lastUpdateTime of its Progressing condition,
// which it refreshes during a rollout whenever it creates a ReplicaSet or
// more of d's pods are updated, ready or available, and of its Available
// condition, which changes when it acts on a scale-up. The second is the
// only report of a canary scaled up from zero: the Deployment controller
// handles a change of spec.replicas as a scaling event, which leaves the
// Progressing condition alone, and the rollout that follows is complete
// already (every pod is of the new ReplicaSet), so it estimates no progress.
// The zero time when d has neither condition.
func LastProgress(d *appsv1.Deployment) time.Time {
	var last time.Time
	for _, c := range d.Status.Conditions {
		if c.Type != appsv1.DeploymentProgressing && c.Type != appsv1.DeploymentAvailable {
			continue
		}
		if t := c.LastUpdateTime.Time; t.After(last) {
			last = t
		}
	}
	return last
}

// TimedOut returns when the Deployment controller gave up on d's rollout,
// past d's own spec.progressDeadlineSeconds (Progressing=False, reason
// ProgressDeadlineExceeded, whose lastUpdateTime is the time it gave up and
// stays so until a new ReplicaSet or progress replaces the condition); the
// zero time when it has not.
func TimedOut(d *appsv1.Deployment) time.Time {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == timedOutReason {
			return c.LastUpdateTime.Time
		}
	}
	return time.Time{}
}

// timedOutReason is the reason of the Progressing condition the Deployment
// controller sets once a rollout exceeds spec.progressDeadlineSeconds.
const timedOutReason = "ProgressDeadlineExceeded"
