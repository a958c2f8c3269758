package meshsim

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// unknown is the label value Istio reports for a workload it cannot name.
const unknown = "unknown"

// Ready reports whether a pod would be an endpoint Envoy sends traffic to:
// not terminating and with condition Ready true.
func Ready(pod *corev1.Pod) bool {
	if pod.DeletionTimestamp != nil {
		return false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// WorkloadName returns the name Istio reports as destination_workload for a
// pod: for a pod of a ReplicaSet, the ReplicaSet's name without its
// pod-template-hash suffix (the Deployment's name); for a pod of another
// controller, that controller's name; otherwise the pod's own name.
func WorkloadName(pod *corev1.Pod) string {
	owner := metav1.GetControllerOf(pod)
	if owner == nil {
		return pod.Name
	}
	if owner.Kind == "ReplicaSet" {
		if hash := pod.Labels[appsv1.DefaultDeploymentUniqueLabelKey]; hash != "" {
			if name, ok := strings.CutSuffix(owner.Name, "-"+hash); ok {
				return name
			}
		}
	}
	return owner.Name
}

// containerName returns the name of the pod's first container, which the
// simulator charges CPU and memory to.
func containerName(pod *corev1.Pod) string {
	if len(pod.Spec.Containers) == 0 {
		return ""
	}
	return pod.Spec.Containers[0].Name
}
