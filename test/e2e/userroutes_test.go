//go:build e2e

package e2e

import (
	"maps"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// userRoutesName names the user's own VirtualService.
const userRoutesName = "web-routes"

// TestUserOwnedRoutesAreKeptExactly releases a service behind the user's
// own VirtualService (a header-match route with retries and header rules, a
// default route with a timeout and fault injection, a tcp route) and
// DestinationRule (a trafficPolicy and a subset of the user's). In every
// version meshcanary wrote, folding its destinations back (the canary
// destination dropped, the primary one without subset and weight) gives the
// user's spec exactly; at rest only the subset "primary" was added to the
// three destinations. Its labels and annotations are kept, beside
// meshcanary.io/routes-for.
func TestUserOwnedRoutesAreKeptExactly(t *testing.T) {
	t.Parallel()
	vs, dr := userVirtualService(), userDestinationRule()
	a := newApp(t, "user-routes").Steps("20,50").StepInterval("6s").
		ServicePort(corev1.ServicePort{Name: "tcp-stream", Port: 9000, TargetPort: intstr.FromInt32(9000)}).
		Routes(vs.DeepCopy(), dr.DeepCopy()).
		Requests(meshsim.Shape{Weight: 0.3, Headers: map[string]string{"x-tester": "yes"}}, meshsim.Shape{Weight: 0.7}).
		Create()
	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)

	history := a.rec.vsHistory(userRoutesName)
	for _, v := range history {
		if v.VS == nil {
			t.Fatalf("the user's VirtualService was deleted")
		}
		if diff := cmp.Diff(&vs.Spec, foldVirtualService(&v.VS.Spec), protocmp.Transform()); diff != "" {
			t.Fatalf("a version of the VirtualService, managed destinations folded back, differs from the user's (-user +folded):\n%s", diff)
		}
		h0, h1, tcp := describeRoute(v.VS.Spec.Http[0].Route), describeRoute(v.VS.Spec.Http[1].Route), describeRoute(v.VS.Spec.Tcp[0].Route)
		if h0 != h1 || h0 != tcp {
			t.Errorf("routes of one version disagree: http[0] %q, http[1] %q, tcp[0] %q", h0, h1, tcp)
		}
	}
	want := []string{"web", "primary", split(80, 20), split(50, 50), "primary"}
	if diff := cmp.Diff(want, routes(routeStates(history, 0))); diff != "" {
		t.Errorf("routes of the header-match route, in order (-want +got):\n%s", diff)
	}

	final := a.virtualService(userRoutesName)
	atRest := vs.Spec.DeepCopy()
	for _, d := range []*apinetworkingv1.Destination{atRest.Http[0].Route[0].Destination, atRest.Http[1].Route[0].Destination, atRest.Tcp[0].Route[0].Destination} {
		d.Subset = config.SubsetPrimary
	}
	if diff := cmp.Diff(atRest, &final.Spec, protocmp.Transform()); diff != "" {
		t.Errorf("the VirtualService at rest (-want +got):\n%s", diff)
	}
	if _, ok, err := stepper.DecodeStatus(final.Annotations); !ok || err != nil {
		t.Errorf("the user's VirtualService holds no readable status (%v): %q", err, final.Annotations[config.StatusAnnotation])
	}
	a.checkMetaKept("VirtualService", vs.ObjectMeta, final.ObjectMeta, config.StatusAnnotation)

	for _, v := range a.rec.drHistory(appName) {
		if v.DR == nil {
			t.Fatalf("the user's DestinationRule was deleted")
		}
		folded := proto.CloneOf(&v.DR.Spec)
		folded.Subsets = withoutManagedSubsets(folded.Subsets)
		if diff := cmp.Diff(&dr.Spec, folded, protocmp.Transform()); diff != "" {
			t.Fatalf("a version of the DestinationRule without meshcanary's subsets differs from the user's (-user +got):\n%s", diff)
		}
	}
	finalDR := a.destinationRule(appName)
	a.checkMetaKept("DestinationRule", dr.ObjectMeta, finalDR.ObjectMeta, "")
	for _, s := range finalDR.Spec.Subsets {
		if s.Name == config.SubsetPrimary && !maps.Equal(s.Labels, map[string]string{config.RoleLabel: config.RolePrimary}) {
			t.Errorf("primary subset labels %v, want %s=%s", s.Labels, config.RoleLabel, config.RolePrimary)
		}
	}
}

// userVirtualService is the user's VirtualService for the app.
func userVirtualService() *networkingv1.VirtualService {
	web := func(port uint32) *apinetworkingv1.Destination {
		return &apinetworkingv1.Destination{Host: appName, Port: &apinetworkingv1.PortSelector{Number: port}}
	}
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{
		Name:        userRoutesName,
		Labels:      map[string]string{"team": "storefront"},
		Annotations: map[string]string{"example.com/owner": "storefront"},
	}}
	vs.Spec.Hosts = []string{appName}
	vs.Spec.Http = []*apinetworkingv1.HTTPRoute{{
		Name: "testers",
		Match: []*apinetworkingv1.HTTPMatchRequest{{Headers: map[string]*apinetworkingv1.StringMatch{
			"x-tester": {MatchType: &apinetworkingv1.StringMatch_Exact{Exact: "yes"}},
		}}},
		Route: []*apinetworkingv1.HTTPRouteDestination{{
			Destination: web(80),
			Headers: &apinetworkingv1.Headers{Request: &apinetworkingv1.Headers_HeaderOperations{
				Set: map[string]string{"x-route": "testers"},
			}},
		}},
		Retries: &apinetworkingv1.HTTPRetry{Attempts: 3, PerTryTimeout: durationpb.New(2 * time.Second), RetryOn: "5xx,reset"},
	}, {
		Name:    "default",
		Route:   []*apinetworkingv1.HTTPRouteDestination{{Destination: web(80)}},
		Timeout: durationpb.New(10 * time.Second),
		Fault: &apinetworkingv1.HTTPFaultInjection{Delay: &apinetworkingv1.HTTPFaultInjection_Delay{
			HttpDelayType: &apinetworkingv1.HTTPFaultInjection_Delay_FixedDelay{FixedDelay: durationpb.New(time.Millisecond)},
			Percentage:    &apinetworkingv1.Percent{Value: 10},
		}},
	}}
	vs.Spec.Tcp = []*apinetworkingv1.TCPRoute{{
		Match: []*apinetworkingv1.L4MatchAttributes{{Port: 9000}},
		Route: []*apinetworkingv1.RouteDestination{{Destination: web(9000)}},
	}}
	return vs
}

// userDestinationRule is the user's DestinationRule for the app.
func userDestinationRule() *networkingv1.DestinationRule {
	dr := &networkingv1.DestinationRule{ObjectMeta: metav1.ObjectMeta{
		Name:   appName,
		Labels: map[string]string{"team": "storefront"},
	}}
	dr.Spec.Host = appName
	dr.Spec.TrafficPolicy = &apinetworkingv1.TrafficPolicy{
		LoadBalancer: &apinetworkingv1.LoadBalancerSettings{LbPolicy: &apinetworkingv1.LoadBalancerSettings_Simple{
			Simple: apinetworkingv1.LoadBalancerSettings_LEAST_REQUEST,
		}},
		ConnectionPool: &apinetworkingv1.ConnectionPoolSettings{Tcp: &apinetworkingv1.ConnectionPoolSettings_TCPSettings{MaxConnections: 100}},
	}
	dr.Spec.Subsets = []*apinetworkingv1.Subset{{Name: "legacy", Labels: map[string]string{"version": "v0"}}}
	return dr
}

// foldVirtualService undoes meshcanary's split on a copy of spec: in every
// route, destinations with the canary subset are dropped and the one with
// the primary subset loses its subset and weight.
func foldVirtualService(spec *apinetworkingv1.VirtualService) *apinetworkingv1.VirtualService {
	out := proto.CloneOf(spec)
	for _, r := range out.Http {
		r.Route = foldDestinations(r.Route, func(d *apinetworkingv1.HTTPRouteDestination) { d.Weight = 0 })
	}
	for _, r := range out.Tcp {
		r.Route = foldDestinations(r.Route, func(d *apinetworkingv1.RouteDestination) { d.Weight = 0 })
	}
	return out
}

func foldDestinations[D routeDestination](dsts []D, clearWeight func(D)) []D {
	var out []D
	for _, d := range dsts {
		switch d.GetDestination().GetSubset() {
		case config.SubsetCanary:
			continue
		case config.SubsetPrimary:
			d.GetDestination().Subset = ""
			clearWeight(d)
		}
		out = append(out, d)
	}
	return out
}

// withoutManagedSubsets drops meshcanary's subsets, keeping the order of the rest.
func withoutManagedSubsets(subsets []*apinetworkingv1.Subset) []*apinetworkingv1.Subset {
	var out []*apinetworkingv1.Subset
	for _, s := range subsets {
		if s.Name != config.SubsetPrimary && s.Name != config.SubsetCanary {
			out = append(out, s)
		}
	}
	return out
}

// checkMetaKept checks that got has the user's labels and annotations, plus
// meshcanary.io/routes-for naming the app and, unless "", the annotation
// own (the status meshcanary keeps in the VirtualService), checked apart.
func (a *app) checkMetaKept(kind string, user, got metav1.ObjectMeta, own string) {
	a.t.Helper()
	if diff := cmp.Diff(user.Labels, got.Labels); diff != "" {
		a.t.Errorf("%s labels (-user +got):\n%s", kind, diff)
	}
	want := maps.Clone(user.Annotations)
	if want == nil {
		want = map[string]string{}
	}
	want[config.RoutesForAnnotation] = appName
	gotAnnotations := maps.Clone(got.Annotations)
	delete(gotAnnotations, own)
	if diff := cmp.Diff(want, gotAnnotations); diff != "" {
		a.t.Errorf("%s annotations (-want +got):\n%s", kind, diff)
	}
}
