package workload

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// PrimarySpec says what the primary Deployment should be.
type PrimarySpec struct {
	// Name of the primary Deployment.
	Name string
	// Revision the primary should run. When it differs from the live
	// primary's, the user's current template is copied (the caller only asks
	// for the user's current revision).
	Revision string
	// Replicas of the primary; nil keeps the live count (an HPA twin may be
	// managing it).
	Replicas *int32
	// Owner is set as the controller reference, so deleting the user's
	// Deployment garbage-collects the primary.
	Owner metav1.OwnerReference
	// Slot, when set, makes the Deployment that slot of a Deployment
	// promoted by role swap (config.PromotionSwap), the primary's or the
	// canary's: its template and selector carry config.SlotLabel instead
	// of the primary's role label.
	Slot config.Slot
}

// DesiredPrimary returns the primary Deployment for user. live is the
// current primary or nil. The result is a new object; live and user are not
// modified.
//
// The primary has the user's template plus the role label (the slot label
// for a slot), and its own selector (the user's plus that label), so the
// user's ReplicaSets never select the primary's pods through the selector
// the primary uses, nor one slot the other's.
func DesiredPrimary(user, live *appsv1.Deployment, s PrimarySpec) *appsv1.Deployment {
	var p *appsv1.Deployment
	if live != nil {
		p = live.DeepCopy()
	} else {
		p = &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: user.Namespace},
			Spec: appsv1.DeploymentSpec{
				Selector: primarySelector(user.Spec.Selector, s.podLabel()),
			},
		}
		p.Spec.Replicas = user.Spec.Replicas
	}
	p.Labels = mergeLabels(user.Labels, map[string]string{
		config.PrimaryOfLabel: user.Name,
		config.ManagedByLabel: config.ManagedByValue,
	})
	delete(p.Labels, config.EnabledLabel)
	p.OwnerReferences = []metav1.OwnerReference{s.Owner}
	if s.Replicas != nil {
		p.Spec.Replicas = s.Replicas
	}
	if p.Annotations[config.RevisionAnnotation] != s.Revision {
		tpl := user.Spec.Template.DeepCopy()
		tpl.Labels = mergeLabels(tpl.Labels, s.podLabel())
		p.Spec.Template = *tpl
		p.Spec.Strategy = *user.Spec.Strategy.DeepCopy()
		p.Spec.MinReadySeconds = user.Spec.MinReadySeconds
		p.Spec.ProgressDeadlineSeconds = user.Spec.ProgressDeadlineSeconds
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[config.RevisionAnnotation] = s.Revision
	}
	return p
}

// podLabel is the label that sets the pods of s apart from the user's: the
// primary's role, or the slot.
func (s PrimarySpec) podLabel() map[string]string {
	if s.Slot != "" {
		return map[string]string{config.SlotLabel: string(s.Slot)}
	}
	return map[string]string{config.RoleLabel: config.RolePrimary}
}

func primarySelector(user *metav1.LabelSelector, own map[string]string) *metav1.LabelSelector {
	sel := user.DeepCopy()
	if sel == nil {
		sel = &metav1.LabelSelector{}
	}
	sel.MatchLabels = mergeLabels(sel.MatchLabels, own)
	return sel
}

func mergeLabels(base, extra map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(extra))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}
