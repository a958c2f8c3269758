package cli

import (
	"github.com/meshcanary/meshcanary/internal/golden"

	"context"
	"encoding/json"
	"testing"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// now is the fixed clock of the tests.
var now = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// checkGolden compares got with testdata/<name>.golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, name+".golden", got)
}

// deployment is an opted-in Deployment created age before now, with status s
// (none when nil).
func deployment(ns, name string, age time.Duration, s *stepper.Status) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{
		Namespace:         ns,
		Name:              name,
		CreationTimestamp: metav1.NewTime(now.Add(-age)),
		Labels:            map[string]string{config.EnabledLabel: config.EnabledValue},
		Annotations:       map[string]string{},
	}}
	if s != nil {
		setStatus(d, *s)
	}
	return d
}

// setStatus writes s into d's status annotation, as the controller does.
func setStatus(d *appsv1.Deployment, s stepper.Status) {
	data, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	d.Annotations[config.StatusAnnotation] = string(data)
}

// clientsOf returns fake clients holding objs as the controller leaves
// them: the status annotation a test gives a Deployment is held by the
// VirtualService that routes for it (see save).
func clientsOf(t *testing.T, objs ...runtime.Object) Clients {
	t.Helper()
	cl := Clients{Kube: fake.NewClientset(), Istio: istioFake{istiofake.NewSimpleClientset()}}
	for _, o := range objs {
		save(t, cl, o.(*appsv1.Deployment))
	}
	return cl
}

// istioFake is Istio's fake clientset, which (unlike the Kubernetes one)
// does not tell informers that it cannot stream a watch list.
type istioFake struct{ *istiofake.Clientset }

// IsWatchListSemanticsUnSupported is true: the fake only lists and watches.
func (istioFake) IsWatchListSemanticsUnSupported() bool { return true }

// save creates or updates d in cl, its status annotation moved to the
// VirtualService named after it, marked as routing for it, as the
// controller keeps it.
func save(t *testing.T, cl Clients, d *appsv1.Deployment) {
	t.Helper()
	ctx := context.Background()
	d = d.DeepCopy()
	if status, ok := d.Annotations[config.StatusAnnotation]; ok {
		delete(d.Annotations, config.StatusAnnotation)
		vss := cl.Istio.NetworkingV1().VirtualServices(d.Namespace)
		vs, err := vss.Get(ctx, d.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			vs = &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, Name: d.Name,
				Annotations: map[string]string{config.RoutesForAnnotation: d.Name}}}
			vs, err = vss.Create(ctx, vs, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
		vs.Annotations[config.StatusAnnotation] = status
		if _, err := vss.Update(ctx, vs, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	deployments := cl.Kube.AppsV1().Deployments(d.Namespace)
	if _, err := deployments.Update(ctx, d, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
		_, err = deployments.Create(ctx, d, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
}

// load returns the Deployment ns/name with the status the controller keeps
// for it in the annotation, as the tests give it.
func load(t *testing.T, cl Clients, ns, name string) *appsv1.Deployment {
	t.Helper()
	d, err := cl.Kube.AppsV1().Deployments(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if vs, err := cl.Istio.NetworkingV1().VirtualServices(ns).Get(context.Background(), name, metav1.GetOptions{}); err == nil {
		if s, ok := vs.Annotations[config.StatusAnnotation]; ok {
			d.Annotations[config.StatusAnnotation] = s
		}
	}
	return d
}
