//go:build scale

package scale

import (
	"context"
	"fmt"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// The work of every canary, as in the anchors' Flagger run.
const (
	namespace    = "scale"
	container    = "app"
	imageV1      = "example.com/app:v1"
	imageV2      = "example.com/app:v2"
	steps        = "10,20,30,40,50"
	stepCount    = 5
	stepPercent  = 10 // each step's rise of the canary's weight
	stepInterval = 10 * time.Second
	// concurrency is how many requests the benchmark has in flight when it
	// creates or patches the canaries.
	concurrency = 32
)

// canaryNames names n canaries app-000, app-001, ...
func canaryNames(n int) []string {
	width := len(fmt.Sprint(n - 1))
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("app-%0*d", max(width, 3), i)
	}
	return names
}

// canaryService is the Service of the canary name, selecting its pods.
func canaryService(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
}

// canaryDeployment is the Deployment of the canary name with the given
// replicas; optIn adds meshcanary's label and annotations (steps 10..50 %
// of 10 s, no gates; with -promotion swap, promotion by role swap).
func canaryDeployment(name string, replicas int32, optIn bool) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	meta := metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: map[string]string{"app": name}}
	if optIn {
		meta.Labels[config.EnabledLabel] = config.EnabledValue
		meta.Annotations = map[string]string{
			config.Prefix + config.KeySteps:        steps,
			config.Prefix + config.KeyStepInterval: stepInterval.String(),
		}
		if swapping() {
			meta.Annotations[config.Prefix+config.KeyPromotion] = string(config.PromotionSwap)
		}
	}
	return &appsv1.Deployment{
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: container, Image: imageV1,
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				}}},
			},
		},
	}
}

// createCanaries creates the namespace and every canary's Service and the
// Deployments deployments returns for it.
func createCanaries(ctx context.Context, kube kubernetes.Interface, names []string, deployments func(name string) []*appsv1.Deployment) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating namespace %s: %w", namespace, err)
	}
	_, _, err := forEach(names, func(name string) error {
		if _, err := kube.CoreV1().Services(namespace).Create(ctx, canaryService(name), metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating Service %s: %w", name, err)
		}
		for _, d := range deployments(name) {
			if _, err := kube.AppsV1().Deployments(namespace).Create(ctx, d, metav1.CreateOptions{}); err != nil {
				return fmt.Errorf("creating Deployment %s: %w", d.Name, err)
			}
		}
		return nil
	})
	return err
}

// patchImages sets every canary's image to imageV2 and returns when each
// patch was sent and when its answer came.
func patchImages(ctx context.Context, kube kubernetes.Interface, names []string) (sent, answered map[string]time.Time, err error) {
	patch := fmt.Appendf(nil, `{"spec":{"template":{"spec":{"containers":[{"name":%q,"image":%q}]}}}}`, container, imageV2)
	return forEach(names, func(name string) error {
		_, err := kube.AppsV1().Deployments(namespace).Patch(ctx, name, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		if err != nil {
			return fmt.Errorf("patching the image of %s: %w", name, err)
		}
		return nil
	})
}

// forEach runs do for every name, concurrency at a time, and returns when
// each call began and ended, and the first error.
func forEach(names []string, do func(name string) error) (began, ended map[string]time.Time, err error) {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	began, ended = make(map[string]time.Time, len(names)), make(map[string]time.Time, len(names))
	work := make(chan string)
	for range min(concurrency, len(names)) {
		wg.Go(func() {
			for name := range work {
				start := time.Now()
				callErr := do(name)
				end := time.Now()
				mu.Lock()
				began[name], ended[name] = start, end
				if callErr != nil && err == nil {
					err = callErr
				}
				mu.Unlock()
			}
		})
	}
	for _, name := range names {
		work <- name
	}
	close(work)
	wg.Wait()
	return began, ended, err
}
