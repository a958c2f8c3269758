//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// TestOptOutHandsTrafficBackWithout503 removes the label from a Deployment
// at rest after a release: its own pods serve again, the user's
// VirtualService routes to the plain service host exactly as the user wrote
// it, meshcanary's DestinationRule, primary and status are gone, and no
// request was answered 503 on the way.
func TestOptOutHandsTrafficBackWithout503(t *testing.T) {
	t.Parallel()
	vs := plainUserRoutes()
	a := newApp(t, "opt-out").Steps("50").StepInterval("5s").Routes(vs.DeepCopy(), nil).Create()
	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)

	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, config.EnabledLabel)
	_, err := env.kube.AppsV1().Deployments(a.ns).Patch(t.Context(), appName, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	must(t, "removing the label", err)

	a.eventually("the opt-out to finish", func() error {
		if a.deployment(primaryName) != nil {
			return errors.New("the primary still exists")
		}
		return a.routingGoneErr()
	})
	handedBack := time.Now()
	// The last opt-out writes can still be rolling out (a generation the
	// Deployment controller has not observed yet), so availability is waited
	// for; the no-503 check below is what shows no request was lost.
	a.eventually("the user's Deployment to run 2 available replicas", func() error {
		user := a.deployment(appName)
		if *user.Spec.Replicas != 2 {
			return fmt.Errorf("it wants %d replicas", *user.Spec.Replicas)
		}
		return availableErr(user)
	})
	a.checkHandedBack(vs, "example.com/web:v2")

	// Traffic after the opt-out: the user's own pods answer everything.
	if err := shareError(a.trafficSince(handedBack), appName, 1); err != nil {
		t.Errorf("after the opt-out: %v", err)
	}
	if n := env.sim.Counts(a.ns, appName).Codes[503]; n > 0 {
		t.Errorf("%d requests were answered 503", n)
	}
}

// optOutErr says what is not yet handed back after an opt-out: the
// user's Deployment must run revision rev at the size the app was created
// with, available, with no status left and meshcanary's primary (or both
// slots of a promotion by role swap), VirtualService and DestinationRule
// gone; nil once everything is.
func (a *app) optOutErr(rev string) error {
	switch {
	case a.deployment(primaryName) != nil:
		return errors.New("the primary still exists")
	case a.deployment(slotName(config.SlotA)) != nil || a.deployment(slotName(config.SlotB)) != nil:
		return errors.New("a slot of the promotion by role swap still exists")
	case a.virtualService(appName) != nil:
		return errors.New("meshcanary's VirtualService still exists")
	case a.destinationRule(appName) != nil:
		return errors.New("meshcanary's DestinationRule still exists")
	}
	if st, ok := a.status(); ok {
		return fmt.Errorf("a status is still recorded: %+v", st)
	}
	user := a.deployment(appName)
	if got := workload.Revision(&user.Spec.Template); got != rev {
		return fmt.Errorf("the user's Deployment runs revision %s, want %s", got, rev)
	}
	if got := ptr.Deref(user.Spec.Replicas, 1); got != a.replicas {
		return fmt.Errorf("the user's Deployment wants %d replicas, want %d", got, a.replicas)
	}
	return availableErr(user)
}

// plainUserRoutes is the user's own VirtualService of the opt-out tests:
// all of the app's traffic to the plain service host.
func plainUserRoutes() *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: userRoutesName}}
	vs.Spec.Hosts = []string{appName}
	vs.Spec.Http = []*apinetworkingv1.HTTPRoute{{Route: []*apinetworkingv1.HTTPRouteDestination{{
		Destination: &apinetworkingv1.Destination{Host: appName},
	}}}}
	return vs
}

// routingGoneErr says what of meshcanary's routing of the app is left
// after an opt-out (its DestinationRule, a status); nil when nothing.
func (a *app) routingGoneErr() error {
	if a.destinationRule(appName) != nil {
		return errors.New("meshcanary's DestinationRule still exists")
	}
	if _, ok := a.status(); ok {
		return errors.New("a status annotation is still there (VirtualService or Deployment)")
	}
	return nil
}

// checkHandedBack checks an app handed back by an opt-out: the user's
// Deployment keeps image, and the user's VirtualService is vs as written,
// without meshcanary's annotation.
func (a *app) checkHandedBack(vs *networkingv1.VirtualService, image string) {
	a.t.Helper()
	if got := a.deployment(appName).Spec.Template.Spec.Containers[0].Image; got != image {
		a.t.Errorf("the user's image after the opt-out = %q, want %s", got, image)
	}
	got := a.virtualService(userRoutesName)
	if diff := cmp.Diff(&vs.Spec, &got.Spec, protocmp.Transform()); diff != "" {
		a.t.Errorf("the user's VirtualService after the opt-out (-as written +got):\n%s", diff)
	}
	if _, ok := got.Annotations[config.RoutesForAnnotation]; ok {
		a.t.Errorf("the user's VirtualService still has annotation %s", config.RoutesForAnnotation)
	}
}
