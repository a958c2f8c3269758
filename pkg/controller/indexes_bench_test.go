package controller

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/meshcanary/meshcanary/pkg/istio"
)

// BenchmarkLookupsOfOneCanary measures the lookups of one canary among n
// in one namespace, each with its Service and VirtualService: the event
// handler of a VirtualService (routesKeys) and the home VirtualService of
// a reconcile (homeCandidates). Their cost must not grow with n.
func BenchmarkLookupsOfOneCanary(b *testing.B) {
	for _, n := range []int{10, 1000} {
		cs := &caches{idx: indexers{
			users: indexer(userIndexers), primaries: indexer(primaryIndexers), services: indexer(serviceIndexers),
			hpas: indexer(hpaIndexers), vss: indexer(vsIndexers), drs: indexer(drIndexers),
		}}
		cs.users = appslisters.NewDeploymentLister(cs.idx.users)
		cs.services = corelisters.NewServiceLister(cs.idx.services)
		for i := range n {
			name := fmt.Sprintf("app-%d", i)
			d := webDeployment(nil)
			d.Name, d.Spec.Template.Labels = name, map[string]string{"app": name, "tier": "web"}
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}}}
			_ = cs.idx.users.Add(d)
			_ = cs.idx.services.Add(svc)
			_ = cs.idx.vss.Add(routeTo("ns", name, []string{name}, name))
		}
		c := &Controller{scopes: map[string]*caches{"": cs}}
		gw := routeTo("istio-system", "public", []string{"shop.example.com"}, "app-7.ns.svc.cluster.local")
		user := webDeployment(nil)
		user.Name = "app-7"
		t := istio.Target{Namespace: "ns", Service: "app-7", Deployment: "app-7"}
		b.Run(fmt.Sprintf("routesKeys/canaries=%d", n), func(b *testing.B) {
			for b.Loop() {
				if keys := c.routesKeys(gw); len(keys) != 1 {
					b.Fatalf("routesKeys = %v", keys)
				}
			}
		})
		b.Run(fmt.Sprintf("homeCandidates/canaries=%d", n), func(b *testing.B) {
			for b.Loop() {
				if vss := homeCandidates(cs, user, t); len(vss) != 1 {
					b.Fatalf("homeCandidates = %d", len(vss))
				}
			}
		})
	}
}
