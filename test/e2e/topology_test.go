//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// gatewayNamespace is where the ingress gateway's VirtualServices live;
// the shared controller may split them (--virtualservice-namespaces, see
// TestMain). deniedGatewayNamespace is a gateway namespace it may not.
const (
	gatewayNamespace       = "istio-system"
	deniedGatewayNamespace = "e2e-gateways-denied"
	rootNamespace          = "e2e-delegate-roots"
)

// ingressSource is the caller of requests sent through a gateway.
var ingressSource = meshsim.Source{Workload: "istio-ingressgateway", Namespace: gatewayNamespace}

// TestGatewayAndMeshVirtualServicesCarryTheSameWeights releases a service
// routed by meshcanary's VirtualService for the mesh and by an ingress
// VirtualService of istio-system bound to a gateway (naming the service by
// its FQDN, with a timeout and header rules of its own), the namespace
// allowed by the operator: both carry the exact weights at every step, the
// shares of mesh and ingress traffic each match them, the ingress
// VirtualService keeps every field of its own, Istio's validation webhook
// accepts every version of it, the status lists both with the weight and
// never records a lag of the weight (no write was lost), and no step
// completes before the ingress VirtualService has carried its weight for
// the step's bake time.
func TestGatewayAndMeshVirtualServicesCarryTheSameWeights(t *testing.T) {
	t.Parallel()
	ns := "e2e-topo-gateway"
	gw := ingressVirtualService(gatewayNamespace, "public-"+ns, ns)
	original := gw.DeepCopy()
	ensureNamespace(t, gatewayNamespace)
	must(t, "creating the ingress VirtualService", create(t.Context(), env.istio.NetworkingV1().VirtualServices(gatewayNamespace), gw))
	t.Cleanup(func() {
		_ = env.istio.NetworkingV1().VirtualServices(gatewayNamespace).Delete(context.Background(), gw.Name, metav1.DeleteOptions{})
	})
	watch := watchVirtualService(t, gatewayNamespace, gw.Name)
	a := newApp(t, "topo-gateway").Steps("20,50").StepInterval("10s").Rate(25).Create()
	ingress := a.sendThrough(gatewayNamespace+"/public", ns+".example.com", 25)
	// The release starts once the adopted routes have had enough traffic
	// of both sources to be judged, guards cut (as in the release test).
	a.eventually("enough mesh and ingress traffic under the adopted routes, all to the primary", func() error {
		adopted, gwAdopted := fromFirstPrimary(routeStates(a.rec.vsHistory(appName), 0)), fromFirstPrimary(routeStates(watch.history(), 0))
		if len(adopted) == 0 || len(gwAdopted) == 0 {
			return fmt.Errorf("not both adopted yet")
		}
		if err := shareError(a.stretchTraffic(routeState{Route: adopted[0].Route, Start: adopted[0].Start, End: time.Now()}), appName, 0); err != nil {
			return err
		}
		return shareError(ingress.between(gwAdopted[0].Start.Add(switchGuard), time.Now().Add(-switchGuard)), appName, 0)
	})

	started := time.Now()
	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)
	// Succeeded goes with the weight 0 in the write of meshcanary's own
	// VirtualService; the ingress one is written right after it.
	a.eventually("the ingress VirtualService back on the primary", func() error {
		return lastRoute(routeStates(watch.history(), 0), "primary")
	})

	want := []string{"primary", split(80, 20), split(50, 50), "primary"}
	home := fromFirstPrimary(routeStates(a.rec.vsHistory(appName), 0))
	if diff := cmp.Diff(want, routes(home)); diff != "" {
		t.Errorf("routes of meshcanary's VirtualService from adoption on (-want +got):\n%s", diff)
	}
	gwStates := fromFirstPrimary(routeStates(watch.history(), 0))
	if diff := cmp.Diff(want, routes(gwStates)); diff != "" {
		t.Fatalf("routes of the ingress VirtualService from adoption on (-want +got):\n%s", diff)
	}
	shares := []float64{0, 0.20, 0.50, 0}
	for i := range want {
		last := i == len(want)-1
		mesh, through := a.stretchTraffic(home[i]), ingress.between(gwStates[i].Start.Add(switchGuard), gwStates[i].End.Add(-switchGuard))
		if last {
			mesh, through = a.trafficSince(home[i].Start), ingress.since(t, a, gwStates[i].Start)
		}
		if err := shareError(mesh, appName, shares[i]); err != nil {
			t.Errorf("mesh traffic while the route was %q: %v", want[i], err)
		}
		if err := shareError(through, appName, shares[i]); err != nil {
			t.Errorf("ingress traffic while the route was %q: %v", want[i], err)
		}
		t.Logf("route %-22q canary answered %4d of %4d mesh and %4d of %4d ingress requests (weight %.2f)",
			want[i], mesh.Workloads[appName], mesh.Requests, through.Workloads[appName], through.Requests, shares[i])
	}

	for _, v := range watch.history() {
		if diff := cmp.Diff(&original.Spec, foldVirtualService(&v.VS.Spec), protocmp.Transform()); diff != "" {
			t.Fatalf("a version of the ingress VirtualService, managed destinations folded back, differs from the original (-original +folded):\n%s", diff)
		}
		checkWebhookAccepts(t, v.VS)
	}
	final := watch.history()[len(watch.history())-1].VS
	wantAnnotations := maps.Clone(original.Annotations)
	wantAnnotations[config.RoutesForAnnotation] = ns + "/" + appName
	if diff := cmp.Diff(wantAnnotations, final.Annotations); diff != "" {
		t.Errorf("annotations of the ingress VirtualService: its own and routes-for only (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(original.Labels, final.Labels); diff != "" {
		t.Errorf("labels of the ingress VirtualService (-original +got):\n%s", diff)
	}
	target := istio.Target{Namespace: ns, Service: appName, Deployment: appName}
	run := killRun{rev: rev, started: started}
	if msg := stepsCompleteOnBoth(a, run, 10*time.Second, timedWeights(a.rec.vsHistory(appName), target), timedWeights(watch.history(), target)); msg != "" {
		t.Error(msg)
	}
	listed := false
	for _, v := range a.rec.statusHistory() {
		if s := v.Status; s.WeightLagSince != nil || s.LagRestarts > 0 {
			t.Errorf("the status recorded a lag of the weight at step %d of an uninterrupted release: the controller took its own write of the ingress VirtualService, late in its cache, for one", s.Step)
		}
		if s := v.Status; s.Revision == rev && s.Phase == stepper.PhaseProgressing && s.Step == 1 {
			wantVS := []stepper.SplitVirtualService{{Ref: ns + "/" + appName, Kind: "home", Weight: 20}, {Ref: gatewayNamespace + "/" + gw.Name, Kind: "ingress", Weight: 20}}
			if diff := cmp.Diff(wantVS, s.VirtualServices); diff != "" {
				t.Errorf("the status's VirtualServices at step 1 (-want +got):\n%s", diff)
			}
			listed = true
		}
	}
	if !listed {
		t.Errorf("no status at step 1 of the release was seen")
	}
}

// TestAGatewayVirtualServiceOutsideTheAllowedNamespacesIsLeftAlone
// releases a service that an ingress VirtualService routes to from a
// namespace the operator does not allow: a Warning Event names it, the
// status says where its traffic goes, and it is never written.
func TestAGatewayVirtualServiceOutsideTheAllowedNamespacesIsLeftAlone(t *testing.T) {
	t.Parallel()
	ns := "e2e-topo-denied"
	gw := ingressVirtualService(deniedGatewayNamespace, "public-web", ns)
	ensureNamespace(t, deniedGatewayNamespace)
	vss := env.istio.NetworkingV1().VirtualServices(deniedGatewayNamespace)
	created, err := vss.Create(t.Context(), gw, metav1.CreateOptions{})
	must(t, "creating the ingress VirtualService", err)
	t.Cleanup(func() { _ = vss.Delete(context.Background(), gw.Name, metav1.DeleteOptions{}) })
	a := newApp(t, "topo-denied").Steps("50").StepInterval("6s").Create()
	a.sendThrough(deniedGatewayNamespace+"/public", ns+".example.com", 10)

	rev := a.SetImage("example.com/web:v2")
	e := a.waitEvent(corev1.EventTypeWarning, stepper.ReasonRoutesNotSplit, func() error { return nil })
	want := fmt.Sprintf("ingress VirtualService %s/public-web routes to web without weights: its traffic reaches the canary by pod count", deniedGatewayNamespace)
	if !strings.Contains(e.Message, want) {
		t.Errorf("the Warning says %q, want it to contain %q", e.Message, want)
	}
	final := a.waitPhase(rev, stepper.PhaseSucceeded)
	if len(final.Unsplit) != 1 || !strings.Contains(final.Unsplit[0], want) {
		t.Errorf("the status's unsplit VirtualServices %q, want one saying %q", final.Unsplit, want)
	}
	live, err := vss.Get(t.Context(), gw.Name, metav1.GetOptions{})
	must(t, "reading the ingress VirtualService", err)
	if live.ResourceVersion != created.ResourceVersion || !proto.Equal(&created.Spec, &live.Spec) {
		t.Errorf("the ingress VirtualService was written (resourceVersion %s, was %s): %v", live.ResourceVersion, created.ResourceVersion, &live.Spec)
	}
}

// TestADelegateChildIsSplitAndItsRootLeftAlone releases a service that a
// root VirtualService in another namespace reaches through a delegate
// child in the service's namespace: the child is split with the same
// weights as meshcanary's own VirtualService, the root is never written,
// and the ingress traffic that follows the delegation matches the weights.
func TestADelegateChildIsSplitAndItsRootLeftAlone(t *testing.T) {
	t.Parallel()
	ns := "e2e-topo-delegate"
	ensureNamespace(t, rootNamespace)
	root := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: rootNamespace, Name: "root-" + ns}}
	root.Spec.Hosts = []string{ns + ".example.com"}
	root.Spec.Gateways = []string{rootNamespace + "/public"}
	root.Spec.Http = []*apinetworkingv1.HTTPRoute{{Name: "web", Delegate: &apinetworkingv1.Delegate{Name: "web-child", Namespace: ns}}}
	roots := env.istio.NetworkingV1().VirtualServices(rootNamespace)
	createdRoot, err := roots.Create(t.Context(), root, metav1.CreateOptions{})
	must(t, "creating the root VirtualService", err)
	t.Cleanup(func() { _ = roots.Delete(context.Background(), root.Name, metav1.DeleteOptions{}) })

	child := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "web-child"}}
	child.Spec.Http = []*apinetworkingv1.HTTPRoute{{Name: "all", Route: []*apinetworkingv1.HTTPRouteDestination{{Destination: &apinetworkingv1.Destination{Host: appName}}}}}
	a := newApp(t, "topo-delegate").Steps("30").StepInterval("10s").Rate(20).Routes(child, nil).Create()
	ingress := a.sendThrough(rootNamespace+"/public", ns+".example.com", 25)

	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)
	a.eventually("the delegate child back on the primary", func() error {
		return lastRoute(routeStates(a.rec.vsHistory("web-child"), 0), "primary")
	})
	want := []string{"primary", split(70, 30), "primary"}
	childStates := fromFirstPrimary(routeStates(a.rec.vsHistory("web-child"), 0))
	if diff := cmp.Diff(want, routes(childStates)); diff != "" {
		t.Fatalf("routes of the delegate child from adoption on (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, routes(fromFirstPrimary(routeStates(a.rec.vsHistory(appName), 0)))); diff != "" {
		t.Errorf("routes of meshcanary's VirtualService from adoption on (-want +got):\n%s", diff)
	}
	step := childStates[1]
	through := ingress.between(step.Start.Add(switchGuard), step.End.Add(-switchGuard))
	if err := shareError(through, appName, 0.30); err != nil {
		t.Errorf("ingress traffic through the delegation at step 1: %v", err)
	}
	t.Logf("step 1: canary answered %d of %d ingress requests through the delegation", through.Workloads[appName], through.Requests)
	live, err := roots.Get(t.Context(), root.Name, metav1.GetOptions{})
	must(t, "reading the root VirtualService", err)
	if live.ResourceVersion != createdRoot.ResourceVersion {
		t.Errorf("the root VirtualService was written (resourceVersion %s, was %s)", live.ResourceVersion, createdRoot.ResourceVersion)
	}
}

// ingressVirtualService is a VirtualService of namespace ns bound to the
// gateway ns/public for <appNS>.example.com, routing to the app by FQDN,
// with a timeout, header rules, a label and an annotation of its own.
func ingressVirtualService(ns, name, appNS string) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{
		Namespace: ns, Name: name,
		Labels:      map[string]string{"team": "edge"},
		Annotations: map[string]string{"example.com/owner": "edge"},
	}}
	vs.Spec.Hosts = []string{appNS + ".example.com"}
	vs.Spec.Gateways = []string{ns + "/public"}
	vs.Spec.Http = []*apinetworkingv1.HTTPRoute{{
		Name:    "storefront",
		Timeout: durationpb.New(5 * time.Second),
		Route: []*apinetworkingv1.HTTPRouteDestination{{
			Destination: &apinetworkingv1.Destination{Host: appName + "." + appNS + ".svc.cluster.local", Port: &apinetworkingv1.PortSelector{Number: 80}},
			Headers: &apinetworkingv1.Headers{Request: &apinetworkingv1.Headers_HeaderOperations{
				Set: map[string]string{"x-entry": "ingress"},
			}},
		}},
	}}
	return vs
}

// fromFirstPrimary is states from the first one routing to the primary
// alone (adoption) on.
func fromFirstPrimary(states []routeState) []routeState {
	i := slices.IndexFunc(states, func(s routeState) bool { return s.Route == "primary" })
	if i < 0 {
		return nil
	}
	return states[i:]
}

// lastRoute says why the last of states is not route.
func lastRoute(states []routeState, route string) error {
	if n := len(states); n == 0 || states[n-1].Route != route {
		return fmt.Errorf("routes so far %q, want the last %q", routes(states), route)
	}
	return nil
}

// checkWebhookAccepts submits a copy of vs to Istio's validating webhook
// (a dry-run create under another name) and fails the test if it refuses.
func checkWebhookAccepts(t *testing.T, vs *networkingv1.VirtualService) {
	t.Helper()
	c := vs.DeepCopy()
	c.ObjectMeta = metav1.ObjectMeta{Namespace: vs.Namespace, Name: vs.Name + "-check", Labels: vs.Labels, Annotations: vs.Annotations}
	_, err := env.istio.NetworkingV1().VirtualServices(vs.Namespace).Create(t.Context(), c, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	if err != nil {
		t.Errorf("Istio's validation refuses a version of %s/%s: %v", vs.Namespace, vs.Name, err)
	}
}

// ensureNamespace creates ns unless it exists.
func ensureNamespace(t *testing.T, ns string) {
	t.Helper()
	_, err := env.kube.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", ns, err)
	}
}

// vsWatch records the versions of one VirtualService of another
// namespace than the app's.
type vsWatch struct {
	mu       sync.Mutex
	versions []vsVersion
}

// watchVirtualService records every version of ns/name until the end of
// the test.
func watchVirtualService(t *testing.T, ns, name string) *vsWatch {
	t.Helper()
	w := &vsWatch{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := istioinformers.NewSharedInformerFactoryWithOptions(env.istio, 0, istioinformers.WithNamespace(ns))
	inf := f.Networking().V1().VirtualServices().Informer()
	record := func(obj any) {
		if vs, ok := untomb(obj).(*networkingv1.VirtualService); ok && vs.Name == name {
			w.mu.Lock()
			w.versions = append(w.versions, vsVersion{At: time.Now(), Name: name, VS: vs.DeepCopy()})
			w.mu.Unlock()
		}
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: record, UpdateFunc: func(_, obj any) { record(obj) }})
	must(t, "watching the VirtualService", err)
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	return w
}

func (w *vsWatch) history() []vsVersion {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.versions)
}

// ingressTraffic samples the simulator's counts of the requests sent to
// the app through one gateway.
type ingressTraffic struct {
	countSamples
}

// sendThrough sends rate requests per second to the app through gateway
// for host until the end of the test, and samples what they reached. At
// the end no request may have been answered by the mesh for lack of a
// route or a Ready pod.
func (a *app) sendThrough(gateway, host string, rate float64) *ingressTraffic {
	a.t.Helper()
	target := meshsim.Target{Service: meshsim.ServiceRef{Namespace: a.ns, Name: appName}, Rate: rate, Source: ingressSource, Gateway: gateway, Host: host}
	env.sim.SetTarget(target)
	it := &ingressTraffic{}
	ctx, cancel := context.WithCancel(context.Background())
	go it.record(ctx, func() meshsim.Counts { return env.sim.CountsThrough(gateway, a.ns, appName) })
	a.t.Cleanup(func() {
		cancel()
		target.Rate = 0
		env.sim.SetTarget(target)
		c := env.sim.CountsThrough(gateway, a.ns, appName)
		if c.Requests == 0 {
			a.t.Errorf("no request reached %s/%s through %s", a.ns, appName, gateway)
		}
		for _, flag := range routingFlags {
			if n := c.Flags[flag]; n > 0 {
				a.t.Errorf("%d of %d requests through %s were answered by the mesh with flag %s (flags %v)", n, c.Requests, gateway, flag, c.Flags)
			}
		}
	})
	return it
}

// since waits for minShareRequests requests after start and returns them.
func (it *ingressTraffic) since(t *testing.T, a *app, start time.Time) meshsim.Counts {
	t.Helper()
	var c meshsim.Counts
	a.eventually(fmt.Sprintf("%d ingress requests to measure", minShareRequests), func() error {
		c = it.between(start.Add(switchGuard), time.Now())
		if c.Requests < minShareRequests {
			return fmt.Errorf("%d requests so far", c.Requests)
		}
		return nil
	})
	return c
}
