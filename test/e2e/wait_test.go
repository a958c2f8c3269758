//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/testapp"
)

// waitTimeout bounds every wait. It is generous on purpose: the suite runs on
// small shared machines, and no test asserts how long anything takes.
const waitTimeout = 4 * time.Minute

// waitStatus waits until done holds for the latest status and returns it.
// A non-nil error from done fails the test at once (a state the wait can
// never leave, such as Failed while waiting for Succeeded), as does the
// controller's exit.
func (a *app) waitStatus(desc string, done func(stepper.Status) (bool, error)) stepper.Status {
	a.t.Helper()
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	alive := time.NewTicker(time.Second)
	defer alive.Stop()
	for {
		v, changed := a.rec.latest()
		ok, err := done(v.Status)
		if err != nil {
			a.t.Fatalf("waiting for %s: %v\nstatus: %s", desc, err, v.Raw)
		}
		if ok {
			return v.Status
		}
		select {
		case <-changed:
		case <-alive.C:
			if ok, logs := a.controllerRunning(); !ok {
				a.t.Fatalf("waiting for %s: the controller exited, see %s\nstatus: %s", desc, logs, v.Raw)
			}
		case <-timeout.C:
			a.t.Fatalf("waiting for %s: still not there after %s\nstatus: %s", desc, waitTimeout, v.Raw)
		}
	}
}

// waitPhase waits until the release of revision rev is in phase want. Ending
// in the other final phase (Failed for Succeeded and the reverse) fails the
// test at once.
func (a *app) waitPhase(rev string, want stepper.Phase) stepper.Status {
	a.t.Helper()
	return a.waitStatus(fmt.Sprintf("phase %s of revision %s", want, rev), testapp.PhaseReached(rev, want))
}

// waitStep waits until revision rev is Progressing at step (or past it).
func (a *app) waitStep(rev string, step int) stepper.Status {
	a.t.Helper()
	return a.waitStatus(fmt.Sprintf("step %d of revision %s", step, rev), testapp.StepReached(rev, step))
}

// eventually retries check until it returns nil, failing the test with
// the last error after waitTimeout (cluster.Eventually).
func (a *app) eventually(desc string, check func() error) {
	a.t.Helper()
	cluster.Eventually(a.t, waitTimeout, desc, func(context.Context) error { return check() })
}

// deployment returns the Deployment name of the app's namespace, nil when
// there is none.
func (a *app) deployment(name string) *appsv1.Deployment {
	a.t.Helper()
	d, err := env.kube.AppsV1().Deployments(a.ns).Get(a.t.Context(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	must(a.t, "reading Deployment "+name, err)
	return d
}

// status reads the app's release status from the API (cluster.StatusOf);
// ok is false when there is none.
func (a *app) status() (stepper.Status, bool) {
	a.t.Helper()
	s, ok, err := cluster.StatusOf(a.t.Context(), env.kube, env.istio, a.ns, appName)
	must(a.t, "reading the status of "+appName, err)
	return s, ok
}

// virtualService returns the VirtualService name, nil when there is none.
func (a *app) virtualService(name string) *networkingv1.VirtualService {
	a.t.Helper()
	vs, err := env.istio.NetworkingV1().VirtualServices(a.ns).Get(a.t.Context(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	must(a.t, "reading VirtualService "+name, err)
	return vs
}

// destinationRule returns the DestinationRule name, nil when there is none.
func (a *app) destinationRule(name string) *networkingv1.DestinationRule {
	a.t.Helper()
	dr, err := env.istio.NetworkingV1().DestinationRules(a.ns).Get(a.t.Context(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	must(a.t, "reading DestinationRule "+name, err)
	return dr
}

// availableErr says why d is not available, nil when it is.
func availableErr(d *appsv1.Deployment) error {
	if d == nil {
		return errors.New("the Deployment does not exist")
	}
	if !workload.Available(d) {
		return fmt.Errorf("Deployment %s: generation %d, status %+v", d.Name, d.Generation, d.Status)
	}
	return nil
}
