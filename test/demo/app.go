package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

const (
	namespace    = "demo"
	appName      = "web"
	steps        = "5,25,50"
	stepInterval = "15s"
	gateSummary  = "error rate ≤ 5 % and relative to the primary, p99 < 500ms"
	rate         = 40 // requests per second
	// goodErrorRate is the share of failed requests of a healthy version:
	// 1 %, as in the gates' simulation (see docs/gates-method.md). The
	// relative error-rate test needs errors to compare; with far rarer
	// errors it needs far more requests to promote with confidence.
	goodErrorRate = "0.01"
	badErrorRate  = "0.2"
)

// app is the sample service of the demo.
type app struct {
	kube  kubernetes.Interface
	istio istioclient.Interface
	sim   *meshsim.Sim
}

func newApp(ctx context.Context, cfg *rest.Config, sim *meshsim.Sim) (*app, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	istio, err := istioclient.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	a := &app{kube: kube, istio: istio, sim: sim}
	create := metav1.CreateOptions{}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, create); err != nil {
		return nil, fmt.Errorf("creating namespace: %w", err)
	}
	labels := map[string]string{"app": appName}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: appName, Namespace: namespace},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
	if _, err := kube.CoreV1().Services(namespace).Create(ctx, svc, create); err != nil {
		return nil, fmt.Errorf("creating service: %w", err)
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: appName, Namespace: namespace,
			Labels: map[string]string{config.EnabledLabel: config.EnabledValue},
			Annotations: map[string]string{
				config.Prefix + config.KeySteps:         steps,
				config.Prefix + config.KeyStepInterval:  stepInterval,
				config.Prefix + config.KeyCheckInterval: "5s",
				"meshcanary.io/gate.error-rate":         "max=5%, relative",
				"meshcanary.io/gate.latency":            "p99<500ms",
				"meshcanary.io/gate.min-requests":       "20",
			},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{
					meshsim.ErrorRateAnnotation: goodErrorRate,
					meshsim.LatencyAnnotation:   "20",
				}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: appName, Image: "web:v1"}}},
			},
		},
	}
	if _, err := kube.AppsV1().Deployments(namespace).Create(ctx, d, create); err != nil {
		return nil, fmt.Errorf("creating deployment: %w", err)
	}
	return a, nil
}

// sendTraffic starts the simulated callers of the service.
func (a *app) sendTraffic() {
	a.sim.SetTarget(meshsim.Target{Service: meshsim.ServiceRef{Namespace: namespace, Name: appName}, Rate: rate})
}

// release changes the pod template the way `kubectl set image` would, with
// the simulator's error rate for the new pods. It returns the revision of
// the last release, from the status.
func (a *app) release(ctx context.Context, image, errorRate string) (string, error) {
	var before string
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := a.kube.AppsV1().Deployments(namespace).Get(ctx, appName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		var st stepper.Status
		if err := json.Unmarshal([]byte(d.Annotations[config.StatusAnnotation]), &st); err != nil {
			return fmt.Errorf("reading the status: %w", err)
		}
		before = st.Revision
		d.Spec.Template.Spec.Containers[0].Image = image
		d.Spec.Template.Annotations[meshsim.ErrorRateAnnotation] = errorRate
		_, err = a.kube.AppsV1().Deployments(namespace).Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	return before, err
}

// wait polls every second until done or the context ends.
func wait(ctx context.Context, timeout time.Duration, done func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
