package meshsim

import (
	"context"
	"math"
	"testing"

	"istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
)

const publicGateway = "istio-system/public"

// meshOfAllNamespaces is meshOf watching every namespace, as gateway and
// delegate roots live outside the service's.
func meshOfAllNamespaces(t testing.TB, objs ...runtime.Object) Mesh {
	t.Helper()
	kube, istio := fakeClients(objs...)
	w, err := newWatch(kube, istio, nil, cache.ResourceEventHandlerFuncs{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); w.stop() })
	if err := w.start(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

// ingressRoutes is a VirtualService of istio-system bound to the public
// gateway for shop.example.com, routing to podinfo by FQDN with subset
// weights (as weighted).
func ingressRoutes(subsetWeights ...any) *networkingv1.VirtualService {
	r := weighted(subsetWeights...)
	for _, d := range r.Route {
		d.Destination.Host = app + "." + ns + ".svc.cluster.local"
	}
	vs := virtualService("public-podinfo", []string{"shop.example.com"}, r)
	vs.Namespace = "istio-system"
	vs.Spec.Gateways = []string{"public"}
	return vs
}

// canaryShare routes n requests and returns the share answered by the
// canary; every request must reach a pod.
func canaryShare(t *testing.T, m Mesh, req Request, n int) float64 {
	t.Helper()
	rnd := seeded(3)
	canary := 0
	for range n {
		d := Route(m, req, rnd)
		if d.Pod == nil {
			t.Fatalf("request %+v answered by the mesh: %d %s", req, d.Code, d.Flags)
		}
		if WorkloadName(d.Pod) == app {
			canary++
		}
	}
	return float64(canary) / float64(n)
}

// within3Sigma reports whether share is within 3.5 standard deviations of
// p for n draws (exact for p 0 and 1).
func within3Sigma(share, p float64, n int) bool {
	return math.Abs(share-p) <= 3.5*math.Sqrt(p*(1-p)/float64(n))
}

func TestRequestsThroughAGatewayFollowTheVirtualServiceBoundToIt(t *testing.T) {
	m := meshOfAllNamespaces(t, service(app), primaryPod("a").obj(), canaryPod("a").obj(), destinationRule(),
		virtualService(app, []string{app}, weighted("primary", 100)), ingressRoutes("primary", 80, "canary", 20))
	const n = 20_000
	if got := canaryShare(t, m, Request{Service: podinfo, Gateway: publicGateway, Host: "shop.example.com"}, n); !within3Sigma(got, 0.2, n) {
		t.Errorf("canary share through the gateway %.4f, want 0.2 (the gateway VirtualService's weights)", got)
	}
	if got := canaryShare(t, m, Request{Service: podinfo}, n); got != 0 {
		t.Errorf("canary share from the sidecars %.4f, want 0 (the mesh VirtualService sends all to the primary)", got)
	}
	for name, req := range map[string]Request{
		"a host the gateway has no VirtualService for": {Service: podinfo, Gateway: publicGateway, Host: "other.example.com"},
		"a gateway no VirtualService is bound to":      {Service: podinfo, Gateway: "istio-system/internal", Host: "shop.example.com"},
	} {
		if d := Route(m, req, seeded(1)); d.Code != 404 || d.Flags != FlagNoRoute {
			t.Errorf("%s: answered %d %s, want 404 NR", name, d.Code, d.Flags)
		}
	}
}

func TestADelegateRouteIsFollowedToItsChild(t *testing.T) {
	root := virtualService("root", []string{"shop.example.com"}, &v1alpha3.HTTPRoute{
		Match:    []*v1alpha3.HTTPMatchRequest{{Uri: prefix("/api")}},
		Delegate: &v1alpha3.Delegate{Name: "podinfo-child", Namespace: ns},
	})
	root.Namespace, root.Spec.Gateways = "gateways", []string{"gateways/public"}
	child := virtualService("podinfo-child", nil, weighted("primary", 50, "canary", 50))
	m := meshOfAllNamespaces(t, service(app), primaryPod("a").obj(), canaryPod("a").obj(), destinationRule(), root, child)
	const n = 20_000
	req := Request{Service: podinfo, Gateway: "gateways/public", Host: "shop.example.com", Path: "/api/items"}
	if got := canaryShare(t, m, req, n); !within3Sigma(got, 0.5, n) {
		t.Errorf("canary share through the delegation %.4f, want 0.5 (the child's weights)", got)
	}
	req.Path = "/"
	if d := Route(m, req, seeded(1)); d.Code != 404 || d.Flags != FlagNoRoute {
		t.Errorf("a request the root's match leaves out: answered %d %s, want 404 NR", d.Code, d.Flags)
	}
}

func TestGatewayTrafficIsCountedApartFromTheSidecars(t *testing.T) {
	gw := ingressRoutes("canary", 100)
	gw.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "public-podinfo"}
	gw.Spec.Gateways = []string{publicGateway}
	s := startSim(t, service(app), primaryPod("a").obj(), canaryPod("a").obj(), destinationRule(),
		virtualService(app, []string{app}, weighted("primary", 100)), gw)
	s.Send(Request{Service: podinfo, Gateway: publicGateway, Host: "shop.example.com"})
	s.Send(Request{Service: podinfo})
	s.Send(Request{Service: podinfo})
	mesh, through := s.Counts(ns, app), s.CountsThrough(publicGateway, ns, app)
	if mesh.Requests != 2 || mesh.Workloads[app+"-primary"] != 2 {
		t.Errorf("sidecar counts %+v, want 2 requests to the primary", mesh)
	}
	if through.Requests != 1 || through.Workloads[app] != 1 {
		t.Errorf("gateway counts %+v, want 1 request to the canary", through)
	}
}
