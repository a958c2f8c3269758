package controller

import (
	"cmp"
	"slices"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// routeScope watches the VirtualServices of a namespace the operator lets
// meshcanary patch (Options.VirtualServiceNamespaces) that no watched scope
// covers: a gateway's or a delegate root's namespace.
type routeScope struct {
	vss   cache.SharedIndexInformer
	start func(stop <-chan struct{})
}

func newRouteScope(istio istioclient.Interface, namespace string, resync time.Duration) (*routeScope, error) {
	f := newIstioFactory(istio, namespace, resync)
	inf := f.Networking().V1().VirtualServices().Informer()
	if err := inf.AddIndexers(withoutNamespaceIndex(vsIndexers)); err != nil {
		return nil, err
	}
	return &routeScope{vss: inf, start: f.Start}, nil
}

// extraRouteNamespaces are the namespaces of allowed whose VirtualServices
// no watched namespace covers: none when every namespace is watched; ""
// (every namespace) when allowed has "*".
func extraRouteNamespaces(watched, allowed []string) []string {
	if len(watched) == 0 || slices.Contains(watched, "") {
		return nil
	}
	if slices.Contains(allowed, "*") {
		return []string{""}
	}
	var out []string
	for _, ns := range allowed {
		if !slices.Contains(watched, ns) && !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	return out
}

// vsStores returns the VirtualService stores of every namespace the
// controller reads routes in.
func (c *Controller) vsStores() []cache.Indexer {
	var out []cache.Indexer
	for _, cs := range c.scopes {
		out = append(out, cs.idx.vss)
	}
	for _, rs := range c.routeScopes {
		out = append(out, rs.vss.GetIndexer())
	}
	return out
}

// virtualServicesBy returns the VirtualServices under key in index, in
// every namespace the controller reads routes in, each once.
func (c *Controller) virtualServicesBy(index, key string) []*networkingv1.VirtualService {
	var out []*networkingv1.VirtualService
	seen := map[string]bool{}
	for _, store := range c.vsStores() {
		for _, vs := range byIndex[*networkingv1.VirtualService](store, index, key) {
			if k := vs.Namespace + "/" + vs.Name; !seen[k] {
				seen[k] = true
				out = append(out, vs)
			}
		}
	}
	slices.SortFunc(out, func(a, b *networkingv1.VirtualService) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// canariesOf returns the keys of the opted-in Deployments of namespace that
// split Service name: those that name it in meshcanary.io/service, and
// those without that annotation whose pod template selector (the
// Service's, or selector when given) selects.
func (cs *caches) canariesOf(namespace, name string, selector map[string]string) []string {
	var keys []string
	for _, d := range byIndex[*appsv1.Deployment](cs.idx.users, byServiceName, namespace+"/"+name) {
		keys = append(keys, d.Namespace+"/"+d.Name)
	}
	if selector == nil {
		if svc, err := cs.services.Services(namespace).Get(name); err == nil {
			selector = svc.Spec.Selector
		}
	}
	first := labelKeys(namespace, selector)
	if len(first) == 0 {
		return keys
	}
	sel := labels.SelectorFromSet(selector)
	for _, d := range byIndex[*appsv1.Deployment](cs.idx.users, byTemplateLabel, first[0]) {
		if _, named := d.Annotations[serviceAnnotation]; !named && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			keys = append(keys, d.Namespace+"/"+d.Name)
		}
	}
	return keys
}

// routesFor returns the VirtualServices, in any namespace the controller
// reads routes in, and the DestinationRules of namespace that record
// meshcanary routes or subsets for the Deployment namespace/name: the
// objects an opt-out restores.
func (c *Controller) routesFor(cs *caches, namespace, name string) ([]*networkingv1.VirtualService, []*networkingv1.DestinationRule) {
	key := namespace + "/" + name
	return c.virtualServicesBy(byRoutesFor, key), byIndex[*networkingv1.DestinationRule](cs.idx.drs, byRoutesFor, key)
}

// routeCandidates returns every VirtualService that names the Service
// namespace/service (see istio.ServicesOf), and the roots that delegate to
// those without hosts, so that istio.Discover sees the delegations.
func (c *Controller) routeCandidates(namespace, service string) []*networkingv1.VirtualService {
	vss := c.virtualServicesBy(byService, namespace+"/"+service)
	out := slices.Clone(vss)
	for _, vs := range vss {
		if len(vs.Spec.Hosts) == 0 {
			out = append(out, c.virtualServicesBy(byDelegate, vs.Namespace+"/"+vs.Name)...)
		}
	}
	return out
}
