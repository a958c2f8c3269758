//go:build e2e

package xds

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/meshsim"
	"github.com/meshcanary/meshcanary/test/testapp"
)

// mustFlags are the response flags no request of a scenario may get: the
// mesh answered for lack of a Ready endpoint (UH), a route (NR) or a cluster
// (NC), or sent it to an endpoint whose pod was gone (UF).
var mustFlags = []string{meshsim.FlagNoHealthyUpstream, meshsim.FlagNoRoute, meshsim.FlagNoCluster, meshsim.FlagUpstreamFailure}

// simApp is one scenario's service web in its own namespace: a Service, the
// user's Deployment of two replicas and traffic through the xDS-routed
// simulator.
type simApp struct {
	t   *testing.T
	e   *simEnv
	ns  string
	svc meshsim.ServiceRef
	// Revision is the template revision the app was created with.
	Revision string
	// trafficFrom and trafficTo bound the traffic the app was sent.
	trafficFrom, trafficTo time.Time
}

// newSimApp creates web in namespace xds-<name> with the meshcanary.io
// annotations config (keys without the prefix) and, when vs is not nil, the
// user's VirtualService; starts rate requests/s once the sidecar has the
// service's endpoints; opts the Deployment in and waits until it is Ready.
// At the end of the test no request may have been answered UH, NR, NC or UF.
func (e *simEnv) newSimApp(t *testing.T, name string, rate float64, cfg map[string]string, vs *networkingv1.VirtualService) *simApp {
	t.Helper()
	ctx := t.Context()
	a := &simApp{t: t, e: e, ns: "xds-" + name}
	a.svc = meshsim.ServiceRef{Namespace: a.ns, Name: testapp.Name}
	cluster.CreateNamespace(t, e.kube, a.ns)
	if _, err := e.kube.CoreV1().Services(a.ns).Create(ctx, testapp.Service(a.ns), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating the Service: %v", err)
	}
	if vs != nil {
		vs.Namespace = a.ns
		if _, err := e.istio.NetworkingV1().VirtualServices(a.ns).Create(ctx, vs, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating the user's VirtualService: %v", err)
		}
	}
	d, err := e.kube.AppsV1().Deployments(a.ns).Create(ctx, testapp.Deployment(a.ns, 2, cfg, nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating the Deployment: %v", err)
	}
	a.Revision = workload.Revision(&d.Spec.Template)
	// A caller sends requests once its sidecar can reach the service.
	a.waitEndpoints(fmt.Sprintf("outbound|80||%s", a.svc.FQDN()), 2)
	e.sim.SetTarget(meshsim.Target{Service: a.svc, Rate: rate})
	a.trafficFrom = time.Now()
	t.Cleanup(func() {
		e.sim.SetTarget(meshsim.Target{Service: a.svc})
		a.trafficTo = time.Now()
		a.checkNoRoutingErrors()
	})
	a.setOptedIn(true)
	a.waitPhase(a.Revision, stepper.PhaseReady)
	return a
}

// checkNoRoutingErrors fails the test if no request reached the app or if
// any was answered UH, NR, NC or UF.
func (a *simApp) checkNoRoutingErrors() {
	a.t.Helper()
	c := a.e.sim.Counts(a.ns, "web")
	a.t.Logf("traffic to %s: %d requests, by workload %v, by subset %v, by code %v, by flags %v",
		a.svc, c.Requests, c.Workloads, c.Subsets, c.Codes, c.Flags)
	if c.Requests == 0 {
		a.t.Errorf("no request reached %s: the check proves nothing", a.svc)
	}
	// Logged, not asserted: a window of a millisecond is missed by most
	// runs' requests, and the ones meshcanary still opens are known (see
	// docs/design.md, "The simulator in xDS mode").
	if w := ncWindows(a.e.x.History(), a.svc.FQDN()+":80", a.trafficFrom, a.trafficTo); len(w) > 0 {
		a.t.Logf("while traffic ran, the sidecar's route named a cluster it could not use (503 NC for any request then): %v", w)
	}
	for _, flag := range mustFlags {
		if n := c.Flags[flag]; n > 0 {
			a.t.Errorf("%d of %d requests to %s were answered %s by the xDS-routed mesh", n, c.Requests, a.svc, flag)
		}
	}
}

// setOptedIn adds (true) or removes (false) the opt-in label.
func (a *simApp) setOptedIn(in bool) {
	a.t.Helper()
	if err := testapp.SetOptedIn(a.t.Context(), a.e.kube, a.ns, in); err != nil {
		a.t.Fatal(err)
	}
}

// update changes the user's Deployment and returns its template's revision.
func (a *simApp) update(mutate func(*appsv1.Deployment)) string {
	a.t.Helper()
	d, err := testapp.Update(a.t.Context(), a.e.kube, a.ns, mutate)
	if err != nil {
		a.t.Fatal(err)
	}
	return workload.Revision(&d.Spec.Template)
}

// SetImage releases image and returns the new revision.
func (a *simApp) SetImage(image string) string {
	return a.update(func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = image })
}

// waitStatus waits until done holds for the app's status and returns it; an
// error from done fails the test at once.
func (a *simApp) waitStatus(what string, done func(stepper.Status) (bool, error)) stepper.Status {
	a.t.Helper()
	var got stepper.Status
	cluster.Eventually(a.t, waitTimeout, what, func(ctx context.Context) error {
		s, ok, err := cluster.StatusOf(ctx, a.e.kube, a.e.istio, a.ns, testapp.Name)
		if err != nil || !ok {
			return fmt.Errorf("no status yet (%v)", err)
		}
		got = s
		finished, err := done(s)
		if err != nil {
			return cluster.Permanent(err)
		}
		if !finished {
			return fmt.Errorf("status is %s/%s step %d: %s", s.Phase, s.Reason, s.Step, s.Message)
		}
		return nil
	})
	return got
}

// waitPhase waits until revision rev is in phase want; ending in the other
// final phase fails the test at once.
func (a *simApp) waitPhase(rev string, want stepper.Phase) stepper.Status {
	a.t.Helper()
	return a.waitStatus(fmt.Sprintf("phase %s of revision %s", want, rev), testapp.PhaseReached(rev, want))
}

// waitStep waits until revision rev is Progressing at step or past it;
// failing or rolling back fails the test at once.
func (a *simApp) waitStep(rev string, step int) stepper.Status {
	a.t.Helper()
	return a.waitStatus(fmt.Sprintf("step %d of revision %s", step, rev), testapp.StepReached(rev, step))
}

// waitEndpoints waits until the sidecar has at least n healthy endpoints
// for cluster.
func (a *simApp) waitEndpoints(cluster string, n int) {
	a.t.Helper()
	waitHealthy(a.t, a.e.x, waitTimeout, cluster, fmt.Sprintf("%d endpoints", n), func(got []string) bool { return len(got) >= n })
}

// waitNoEndpoints waits until the sidecar has no healthy endpoint of cluster.
func (a *simApp) waitNoEndpoints(cluster string) {
	a.t.Helper()
	waitHealthy(a.t, a.e.x, waitTimeout, cluster, "no endpoint", func(got []string) bool { return len(got) == 0 })
}

// subsetCluster is istiod's outbound cluster of a subset of web:80.
func (a *simApp) subsetCluster(subset string) string {
	return "outbound|80|" + subset + "|" + a.svc.FQDN()
}

// waitRoute waits until the sidecar's route for web:80 is want (a weight of
// 0 in want matches any weight).
func (a *simApp) waitRoute(what string, want ...WeightedCluster) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.t.Context(), waitTimeout)
	defer cancel()
	var got []WeightedCluster
	var last error
	if _, err := a.e.x.Wait(ctx, func(s *Snapshot) bool {
		got, last = s.Route("80", a.svc.FQDN()+":80")
		return last == nil && sameRoute(want, got)
	}); err != nil {
		a.t.Fatalf("waiting for the route of %s (%s) to be %+v: %v (have %+v, %v)", a.svc, what, want, err, got, last)
	}
}

// pushedRoutes returns the distinct successive routes for web:80 that the
// sidecar received, from its whole history.
func (a *simApp) pushedRoutes() [][]WeightedCluster {
	var out [][]WeightedCluster
	for _, s := range a.e.x.History() {
		got, err := s.Route("80", a.svc.FQDN()+":80")
		if err != nil || len(out) > 0 && slices.Equal(out[len(out)-1], got) {
			continue
		}
		out = append(out, got)
	}
	return out
}
