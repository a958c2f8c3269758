//go:build e2e

package e2e

import (
	"context"
	"maps"
	"strings"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/meshsim"
	"github.com/meshcanary/meshcanary/test/testapp"
)

// Names every test app uses, each in its own namespace.
const (
	appName     = testapp.Name
	primaryName = testapp.Name + "-primary"
	imageV1     = testapp.Image
)

// appSpec describes a test app: a Service and a Deployment, optionally the
// user's own VirtualService and DestinationRule, and the traffic sent to it.
// Build it with newApp and the setters, then Create it.
type appSpec struct {
	t          *testing.T
	ns         string
	replicas   int32
	config     map[string]string // meshcanary.io/<key> annotations, keys without the prefix
	pod        map[string]string // pod template annotations (the simulator's behaviour)
	rate       float64
	shapes     []meshsim.Shape
	vs         *networkingv1.VirtualService
	dr         *networkingv1.DestinationRule
	extraPorts []corev1.ServicePort
	ctrls      []*cluster.Meshcanary
}

// newApp describes an app in namespace e2e-<name> with two replicas, 20
// requests/s, steps 20,50 of 6s, gates checked every 2s and a progress
// deadline of 2 minutes.
func newApp(t *testing.T, name string) *appSpec {
	return &appSpec{t: t, ns: "e2e-" + name, replicas: 2, rate: 20,
		config: map[string]string{
			config.KeySteps:            "20,50",
			config.KeyStepInterval:     "6s",
			config.KeyCheckInterval:    "2s",
			config.KeyProgressDeadline: "2m",
		},
		pod: map[string]string{},
	}
}

// Set sets the annotation meshcanary.io/<key>, gates included ("gate.error-rate").
func (s *appSpec) Set(key, value string) *appSpec { s.config[key] = value; return s }

// Configure replaces every meshcanary.io annotation, newApp's defaults
// included, with annotations, keyed without the prefix.
func (s *appSpec) Configure(annotations map[string]string) *appSpec {
	s.config = maps.Clone(annotations)
	return s
}

// Steps sets meshcanary.io/steps.
func (s *appSpec) Steps(v string) *appSpec { return s.Set(config.KeySteps, v) }

// StepInterval sets meshcanary.io/step-interval.
func (s *appSpec) StepInterval(v string) *appSpec { return s.Set(config.KeyStepInterval, v) }

// Pod sets an annotation of the pod template, such as one of the
// simulator's behaviour annotations (meshsim.ErrorRateAnnotation, ...).
func (s *appSpec) Pod(key, value string) *appSpec { s.pod[key] = value; return s }

// Rate sets the requests per second the simulator sends.
func (s *appSpec) Rate(r float64) *appSpec { s.rate = r; return s }

// Requests sets the kinds of request sent (a plain GET when none).
func (s *appSpec) Requests(shapes ...meshsim.Shape) *appSpec { s.shapes = shapes; return s }

// Routes creates the user's own VirtualService and DestinationRule (either
// may be nil) before the Deployment opts in.
func (s *appSpec) Routes(vs *networkingv1.VirtualService, dr *networkingv1.DestinationRule) *appSpec {
	s.vs, s.dr = vs, dr
	return s
}

// ServicePort adds a port to the Service beside http 80.
func (s *appSpec) ServicePort(p corev1.ServicePort) *appSpec {
	s.extraPorts = append(s.extraPorts, p)
	return s
}

// Controllers names the controllers that run the app (the shared one when
// none is given): waits fail once none of them runs, and a failed test
// shows their logs.
func (s *appSpec) Controllers(ctrls ...*cluster.Meshcanary) *appSpec { s.ctrls = ctrls; return s }

// app is a created test app whose namespace is being recorded.
type app struct {
	t   *testing.T
	ns  string
	rec *recorder
	// Revision is the template revision the app was created with.
	Revision string
	// ctrls are the controllers that run it; nil means the shared one.
	ctrls []*cluster.Meshcanary
	// replicas is the size the app was created with.
	replicas int32
}

// controllers returns the controllers that run the app.
func (a *app) controllers() []*cluster.Meshcanary {
	if len(a.ctrls) > 0 {
		return a.ctrls
	}
	return []*cluster.Meshcanary{env.controller}
}

// controllerRunning reports whether one of the app's controllers runs; when
// none does, it says where their logs are.
func (a *app) controllerRunning() (bool, string) {
	var logs []string
	for _, c := range a.controllers() {
		if c.Running() {
			return true, ""
		}
		logs = append(logs, c.LogPath)
	}
	return false, strings.Join(logs, ", ")
}

// Create creates the app as a running service with traffic, then opts it
// in (adoption of a live service) and waits until meshcanary reports it
// Ready. At the end of the test the traffic stops and no request may have
// been answered by the mesh for lack of a route or of a Ready pod.
func (s *appSpec) Create() *app {
	t := s.t
	t.Helper()
	ctx := t.Context()
	cluster.CreateNamespace(t, env.kube, s.ns)
	must(t, "creating the Service", create(ctx, env.kube.CoreV1().Services(s.ns), testapp.Service(s.ns, s.extraPorts...)))
	if s.vs != nil {
		s.vs.Namespace = s.ns
		must(t, "creating the user's VirtualService", create(ctx, env.istio.NetworkingV1().VirtualServices(s.ns), s.vs))
	}
	if s.dr != nil {
		s.dr.Namespace = s.ns
		must(t, "creating the user's DestinationRule", create(ctx, env.istio.NetworkingV1().DestinationRules(s.ns), s.dr))
	}
	d, err := env.kube.AppsV1().Deployments(s.ns).Create(ctx, testapp.Deployment(s.ns, s.replicas, s.config, s.pod), metav1.CreateOptions{})
	must(t, "creating the Deployment", err)
	a := &app{t: t, ns: s.ns, Revision: workload.Revision(&d.Spec.Template), ctrls: s.ctrls, replicas: s.replicas}
	a.eventually("the Deployment to be available before it opts in", func() error {
		return availableErr(a.deployment(appName))
	})

	rec, err := startRecorder(s.ns, appName, appName)
	must(t, "recording the namespace", err)
	a.rec = rec
	target := meshsim.ServiceRef{Namespace: s.ns, Name: appName}
	env.sim.SetTarget(meshsim.Target{Service: target, Rate: s.rate, Shapes: s.shapes})
	t.Cleanup(func() {
		env.sim.SetTarget(meshsim.Target{Service: target})
		a.checkNoRoutingErrors()
		if t.Failed() {
			a.diagnose()
		}
		rec.stop()
	})

	a.setOptedIn(true)
	a.waitPhase(a.Revision, stepper.PhaseReady)
	return a
}

// setOptedIn adds (true) or removes (false) the label that opts the user's
// Deployment in.
func (a *app) setOptedIn(in bool) {
	a.t.Helper()
	must(a.t, "opting in or out", testapp.SetOptedIn(a.t.Context(), env.kube, a.ns, in))
}

// Release changes the user's pod template as a user would (kubectl set
// image, kubectl edit) and returns the new template's revision.
func (a *app) Release(mutate func(*corev1.PodTemplateSpec)) string {
	a.t.Helper()
	d := a.update(func(d *appsv1.Deployment) { mutate(&d.Spec.Template) })
	return workload.Revision(&d.Spec.Template)
}

// SetImage releases a new image of the app's container.
func (a *app) SetImage(image string) string {
	return a.Release(func(tpl *corev1.PodTemplateSpec) { tpl.Spec.Containers[0].Image = image })
}

// Annotate sets (or, with value "", removes) an annotation of the user's
// Deployment.
func (a *app) Annotate(key, value string) {
	a.t.Helper()
	a.update(func(d *appsv1.Deployment) {
		if value == "" {
			delete(d.Annotations, key)
		} else {
			d.Annotations[key] = value
		}
	})
}

// update changes the user's Deployment, retrying on conflicts with the
// controller's own writes.
func (a *app) update(mutate func(*appsv1.Deployment)) *appsv1.Deployment {
	a.t.Helper()
	d, err := testapp.Update(a.t.Context(), env.kube, a.ns, mutate)
	must(a.t, "updating the Deployment", err)
	return d
}

// creator is the Create method of a typed client.
type creator[T any] interface {
	Create(context.Context, T, metav1.CreateOptions) (T, error)
}

func create[T any](ctx context.Context, c creator[T], obj T) error {
	_, err := c.Create(ctx, obj, metav1.CreateOptions{})
	return err
}

// must fails the test when err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
