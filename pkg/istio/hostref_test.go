package istio

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestServiceOfHostResolvesAsIstioDoes(t *testing.T) {
	cases := map[string]struct {
		host, ns         string
		wantNS, wantName string
		wantOK           bool
	}{
		"a short name is in the namespace that reads it": {"web", "istio-system", "istio-system", "web", true},
		"name.ns":                               {"web.shop", "istio-system", "shop", "web", true},
		"name.ns.svc":                           {"web.shop.svc", "x", "shop", "web", true},
		"the FQDN":                              {"web.shop.svc.cluster.local", "x", "shop", "web", true},
		"an external host is no Service":        {"shop.example.com", "x", "", "", false},
		"a wildcard is no Service":              {"*.shop.svc.cluster.local", "x", "", "", false},
		"an empty host is no Service":           {"", "x", "", "", false},
		"another cluster domain is not assumed": {"web.shop.svc.example.local", "x", "", "", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ns, n, ok := ServiceOfHost(tc.host, tc.ns)
			if ns != tc.wantNS || n != tc.wantName || ok != tc.wantOK {
				t.Errorf("ServiceOfHost(%q, %q) = %q, %q, %v; want %q, %q, %v", tc.host, tc.ns, ns, n, ok, tc.wantNS, tc.wantName, tc.wantOK)
			}
			if ok && !MatchesHost(tc.host, Target{Namespace: ns, Service: n}.seenFrom(tc.ns)) {
				t.Errorf("MatchesHost disagrees: %q read in %s is not %s/%s", tc.host, tc.ns, ns, n)
			}
		})
	}
}

func TestServicesOfNamesHostsDestinationsAndMirrorsOnce(t *testing.T) {
	dst := func(h string) *apinetworkingv1.Destination { return &apinetworkingv1.Destination{Host: h} }
	vs := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: "public"}}
	vs.Spec.Hosts = []string{"shop.example.com", "web.shop"}
	vs.Spec.Http = []*apinetworkingv1.HTTPRoute{
		{Route: []*apinetworkingv1.HTTPRouteDestination{{Destination: dst("web.shop.svc.cluster.local")}}, Mirror: dst("audit")},
		{Delegate: &apinetworkingv1.Delegate{Name: "child", Namespace: "team"}},
		{Delegate: &apinetworkingv1.Delegate{Name: "local"}},
	}
	vs.Spec.Tcp = []*apinetworkingv1.TCPRoute{{Route: []*apinetworkingv1.RouteDestination{{Destination: dst("db.data")}}}}
	if diff := cmp.Diff([]string{"shop/web", "istio-system/audit", "data/db"}, ServicesOf(vs)); diff != "" {
		t.Errorf("ServicesOf (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"team/child", "istio-system/local"}, DelegatesOf(vs)); diff != "" {
		t.Errorf("DelegatesOf (-want +got):\n%s", diff)
	}
}
