package main

import (
	"context"
	"fmt"
	"maps"
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
	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/demo/scenario"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// namespace is where the demo deploys the sample service.
const namespace = "demo"

// appName is the sample service's name.
const appName = scenario.App

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
			Labels:      map[string]string{config.EnabledLabel: config.EnabledValue},
			Annotations: annotations(),
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(labels), Annotations: scenario.Pod()},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: appName, Image: "web:v1"}}},
			},
		},
	}
	if _, err := kube.AppsV1().Deployments(namespace).Create(ctx, d, create); err != nil {
		return nil, fmt.Errorf("creating deployment: %w", err)
	}
	return a, nil
}

// annotations are the scenario's meshcanary.io annotations, prefixed.
func annotations() map[string]string {
	out := map[string]string{}
	for k, v := range scenario.Config() {
		out[config.Prefix+k] = v
	}
	return out
}

// sendTraffic starts the simulated callers of the service.
func (a *app) sendTraffic() {
	a.sim.SetTarget(meshsim.Target{Service: meshsim.ServiceRef{Namespace: namespace, Name: appName}, Rate: scenario.Rate})
}

// release changes the pod template as r says, the way `kubectl set image`
// would. It returns the revision of the last release, from the status.
func (a *app) release(ctx context.Context, r scenario.Release) (string, error) {
	var before string
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		st, ok, err := cluster.StatusOf(ctx, a.kube, a.istio, namespace, appName)
		if err != nil || !ok {
			return fmt.Errorf("reading the status (found %v): %w", ok, err)
		}
		d, err := a.kube.AppsV1().Deployments(namespace).Get(ctx, appName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		before = st.Revision
		r.Apply(&d.Spec.Template)
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
