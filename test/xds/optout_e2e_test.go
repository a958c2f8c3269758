//go:build e2e

package xds

import (
	"context"
	"fmt"
	"testing"

	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/cluster"
)

func init() { scenarios["an opt-out hands the traffic back intact"] = optOut }

// optOut: removing the label after a release hands the traffic back to the
// user's own pods through the user's VirtualService, with no request lost
// on the way, as the sidecar sees it.
func optOut(t *testing.T, e *simEnv) {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "routes"}}
	vs.Spec.Hosts = []string{"web"}
	vs.Spec.Http = []*apinetworkingv1.HTTPRoute{{Route: []*apinetworkingv1.HTTPRouteDestination{{
		Destination: &apinetworkingv1.Destination{Host: "web"},
	}}}}
	a := e.newSimApp(t, "opt-out", 20, steps("50", "5s"), vs)
	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)
	a.setOptedIn(false)
	cluster.Eventually(t, waitTimeout, "the opt-out", func(ctx context.Context) error {
		if _, err := e.kube.AppsV1().Deployments(a.ns).Get(ctx, "web-primary", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("the primary is still there (%v)", err)
		}
		if _, err := e.istio.NetworkingV1().DestinationRules(a.ns).Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return fmt.Errorf("meshcanary's DestinationRule is still there (%v)", err)
		}
		return nil
	})
	plain := "outbound|80||" + a.svc.FQDN()
	a.waitRoute("opt-out", WeightedCluster{Cluster: plain})
	a.waitEndpoints(plain, 2)
	// Keep sending until the user's pods alone have answered a while.
	since := e.sim.Counts(a.ns, "web")
	cluster.Eventually(t, waitTimeout, "40 requests answered by the user's pods after the opt-out", func(context.Context) error {
		got := e.sim.Counts(a.ns, "web").Sub(since)
		if got.Workloads["web"] < 40 {
			return fmt.Errorf("the user's pods answered %d of %d (%v)", got.Workloads["web"], got.Requests, got.Workloads)
		}
		return nil
	})
}
