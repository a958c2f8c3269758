package controller

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// routeTo is a VirtualService of ns/name with hosts and one http route to
// dest.
func routeTo(ns, name string, hosts []string, dest string) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	vs.Spec.Hosts = hosts
	vs.Spec.Http = []*apinetworkingv1.HTTPRoute{{Route: []*apinetworkingv1.HTTPRouteDestination{{
		Destination: &apinetworkingv1.Destination{Host: dest},
	}}}}
	return vs
}

func TestRoutesKeysFindTheCanariesAnObjectConcernsInAnyNamespace(t *testing.T) {
	named := webDeployment(map[string]string{serviceAnnotation: "web-named"})
	named.Name = "api"
	child := routeTo("ns", "web-child", nil, "web")
	f := newFixture(t, []runtime.Object{webService(), webDeployment(nil), named}, child)
	marked := routeTo("istio-system", "public", []string{"shop.example.com"}, "other.ns")
	marked.Annotations = map[string]string{config.RoutesForAnnotation: "ns/web"}
	root := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "gateways", Name: "root"}}
	root.Spec.Hosts = []string{"shop.example.com"}
	root.Spec.Http = []*apinetworkingv1.HTTPRoute{{Delegate: &apinetworkingv1.Delegate{Name: "web-child", Namespace: "ns"}}}
	dr := &networkingv1.DestinationRule{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"}}
	dr.Spec.Host = "web.ns.svc.cluster.local"
	otherSvc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db"}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "db"}}}

	cases := map[string]struct {
		obj  any
		want []string
	}{
		"a gateway VirtualService in another namespace naming the FQDN":   {routeTo("istio-system", "public", []string{"shop.example.com"}, "web.ns.svc.cluster.local"), []string{"ns/web"}},
		"a short name read in another namespace is another Service":       {routeTo("istio-system", "public", []string{"shop.example.com"}, "web"), nil},
		"a VirtualService marked for the Deployment in another namespace": {marked, []string{"ns/web"}},
		"a root delegating to a child that routes to the Service":         {root, []string{"ns/web"}},
		"the delegate child itself":                                       {child, []string{"ns/web"}},
		"a DestinationRule of the Service's host":                         {dr, []string{"ns/web"}},
		"the Service, selecting the pod template":                         {webService(), []string{"ns/web"}},
		"a Service named by meshcanary.io/service":                        {&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web-named"}}, []string{"ns/api"}},
		"a Service selecting no canary":                                   {otherSvc, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := f.c.routesKeys(tc.obj)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("routesKeys (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtraRouteNamespacesWatchOnlyWhatNoScopeCovers(t *testing.T) {
	cases := map[string]struct {
		watched, allowed, want []string
	}{
		"every namespace watched: none":          {nil, []string{"istio-system"}, nil},
		"an allowed namespace outside the watch": {[]string{"shop"}, []string{"istio-system", "shop"}, []string{"istio-system"}},
		"a star watches every namespace":         {[]string{"shop"}, []string{"*"}, []string{""}},
		"nothing allowed: none":                  {[]string{"shop"}, nil, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, extraRouteNamespaces(tc.watched, tc.allowed)); diff != "" {
				t.Errorf("extraRouteNamespaces (-want +got):\n%s", diff)
			}
		})
	}
}
