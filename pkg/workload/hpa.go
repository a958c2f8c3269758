package workload

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// TargetsDeployment reports whether hpa scales the Deployment name.
func TargetsDeployment(hpa *autoscalingv2.HorizontalPodAutoscaler, name string) bool {
	ref := hpa.Spec.ScaleTargetRef
	return ref.Kind == "Deployment" && ref.Name == name &&
		(ref.APIVersion == "apps/v1" || ref.APIVersion == "")
}

// DesiredHPATwin returns the HorizontalPodAutoscaler for the primary: a copy
// of the user's HPA spec that targets the primary, named after it. live is
// the current twin or nil; neither argument is modified.
func DesiredHPATwin(user, live *autoscalingv2.HorizontalPodAutoscaler, deployment, primary string, owner metav1.OwnerReference) *autoscalingv2.HorizontalPodAutoscaler {
	var twin *autoscalingv2.HorizontalPodAutoscaler
	if live != nil {
		twin = live.DeepCopy()
	} else {
		twin = &autoscalingv2.HorizontalPodAutoscaler{
			ObjectMeta: metav1.ObjectMeta{Name: primary, Namespace: user.Namespace},
		}
	}
	twin.Labels = mergeLabels(twin.Labels, map[string]string{
		config.PrimaryOfLabel: deployment,
		config.ManagedByLabel: config.ManagedByValue,
	})
	twin.OwnerReferences = []metav1.OwnerReference{owner}
	twin.Spec = *user.Spec.DeepCopy()
	twin.Spec.ScaleTargetRef.Name = primary
	return twin
}
