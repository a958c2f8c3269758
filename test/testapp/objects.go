package testapp

import (
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// The app's names: its Service, Deployment, container and app label are
// all Name; it serves http on ContainerPort behind Service port 80.
const (
	Name          = "web"
	Image         = "example.com/web:v1"
	ContainerPort = 8080
)

// Service is the app's Service in ns: port http 80 to the pods' 8080, and
// extra ports beside it.
func Service(ns string, extra ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: ns},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": Name},
			Ports: append([]corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(ContainerPort)}},
				extra...),
		},
	}
}

// Deployment is the user's Deployment of the app in ns, not yet opted in:
// replicas pods of Image, the meshcanary.io/<key> annotations of cfg (keys
// without the prefix) and the pod template annotations pod.
func Deployment(ns string, replicas int32, cfg, pod map[string]string) *appsv1.Deployment {
	labels := map[string]string{"app": Name}
	annotations := map[string]string{}
	for k, v := range cfg {
		annotations[config.Prefix+k] = v
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: ns, Labels: maps.Clone(labels), Annotations: annotations},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(labels), Annotations: maps.Clone(pod)},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: Name, Image: Image,
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: ContainerPort}},
				}}},
			},
		},
	}
}
