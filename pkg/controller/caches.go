package controller

import (
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	istiolisters "istio.io/client-go/pkg/listers/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	autoscalinglisters "k8s.io/client-go/listers/autoscaling/v2"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// caches holds the informers and listers of one watched scope: a namespace,
// or every namespace when the scope is "".
//
// Deployments are watched twice, each time filtered by the apiserver: the
// opted-in ones (label meshcanary.io/canary=enabled) and the primaries
// (label meshcanary.io/primary-of), so a cluster with thousands of other
// Deployments costs nothing. Each informer carries the indexes of
// indexes.go, so that one canary's objects are found without listing its
// namespace.
type caches struct {
	users     appslisters.DeploymentLister
	primaries appslisters.DeploymentLister
	services  corelisters.ServiceLister
	hpas      autoscalinglisters.HorizontalPodAutoscalerLister
	vss       istiolisters.VirtualServiceLister
	drs       istiolisters.DestinationRuleLister

	// idx are the indexers behind the listers.
	idx indexers
	// inf are the informers, by the kind they watch (nil in tests that fill
	// the indexers themselves).
	inf   informerSet
	start []func(stop <-chan struct{})
}

// indexers are the stores of one scope, by kind.
type indexers struct {
	users, primaries, services, hpas, vss, drs, endpoints cache.Indexer
}

// informerSet names the informers of one scope.
type informerSet struct {
	users, primaries, services, hpas, vss, drs, endpoints cache.SharedIndexInformer
}

// named lists the informers with what they watch, for sync checks and
// messages.
func (s informerSet) named() []namedInformer {
	all := []namedInformer{
		{"opted-in deployments", s.users}, {"primary deployments", s.primaries}, {"services", s.services},
		{"horizontalpodautoscalers", s.hpas}, {"virtualservices", s.vss}, {"destinationrules", s.drs},
		{"endpointslices", s.endpoints},
	}
	out := all[:0]
	for _, n := range all {
		if n.informer != nil {
			out = append(out, n)
		}
	}
	return out
}

// namedInformer is an informer and what it watches.
type namedInformer struct {
	kind     string
	informer cache.SharedIndexInformer
}

func newCaches(kube kubernetes.Interface, istio istioclient.Interface, namespace string, resync time.Duration) (*caches, error) {
	strip := informers.WithTransform(stripManagedFields)
	userF := informers.NewSharedInformerFactoryWithOptions(kube, resync, strip,
		informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = labels.Set{config.EnabledLabel: config.EnabledValue}.String()
		}))
	primaryF := informers.NewSharedInformerFactoryWithOptions(kube, resync, strip,
		informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = config.PrimaryOfLabel
		}))
	allF := informers.NewSharedInformerFactoryWithOptions(kube, resync, strip, informers.WithNamespace(namespace))
	// Only the slices of a Service (the EndpointSlice controller's), with
	// the label the index reads.
	sliceF := informers.NewSharedInformerFactoryWithOptions(kube, resync, informers.WithTransform(stripEndpointSlice),
		informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = discoveryv1.LabelServiceName
		}))
	istioF := newIstioFactory(istio, namespace, resync)

	users := userF.Apps().V1().Deployments()
	primaries := primaryF.Apps().V1().Deployments()
	services := allF.Core().V1().Services()
	hpas := allF.Autoscaling().V2().HorizontalPodAutoscalers()
	vss := istioF.Networking().V1().VirtualServices()
	drs := istioF.Networking().V1().DestinationRules()
	eps := sliceF.Discovery().V1().EndpointSlices()

	set := informerSet{
		users: users.Informer(), primaries: primaries.Informer(), services: services.Informer(),
		hpas: hpas.Informer(), vss: vss.Informer(), drs: drs.Informer(), endpoints: eps.Informer(),
	}
	for _, ix := range []struct {
		inf      cache.SharedIndexInformer
		indexers cache.Indexers
	}{
		{set.users, userIndexers}, {set.primaries, primaryIndexers}, {set.services, serviceIndexers},
		{set.hpas, hpaIndexers}, {set.vss, vsIndexers}, {set.drs, drIndexers}, {set.endpoints, endpointSliceIndexers},
	} {
		if err := ix.inf.AddIndexers(withoutNamespaceIndex(ix.indexers)); err != nil {
			return nil, err
		}
	}
	return &caches{
		users:     users.Lister(),
		primaries: primaries.Lister(),
		services:  services.Lister(),
		hpas:      hpas.Lister(),
		vss:       vss.Lister(),
		drs:       drs.Lister(),
		idx: indexers{
			users: set.users.GetIndexer(), primaries: set.primaries.GetIndexer(), services: set.services.GetIndexer(),
			hpas: set.hpas.GetIndexer(), vss: set.vss.GetIndexer(), drs: set.drs.GetIndexer(),
			endpoints: set.endpoints.GetIndexer(),
		},
		inf:   set,
		start: []func(<-chan struct{}){userF.Start, primaryF.Start, allF.Start, sliceF.Start, istioF.Start},
	}, nil
}

// newIstioFactory is the Istio informer factory of namespace.
func newIstioFactory(istio istioclient.Interface, namespace string, resync time.Duration) istioinformers.SharedInformerFactory {
	return istioinformers.NewSharedInformerFactoryWithOptions(istio, resync,
		istioinformers.WithTransform(stripManagedFields), istioinformers.WithNamespace(namespace))
}

// withoutNamespaceIndex is indexers without the namespace index, which the
// generated informers already have.
func withoutNamespaceIndex(in cache.Indexers) cache.Indexers {
	out := cache.Indexers{}
	for k, v := range in {
		if k != cache.NamespaceIndex {
			out[k] = v
		}
	}
	return out
}

// stripManagedFields drops managedFields before objects enter a cache: the
// controller never reads them and they are often the largest part of an
// object.
func stripManagedFields(obj any) (any, error) {
	if a, err := meta.Accessor(obj); err == nil {
		a.SetManagedFields(nil)
	}
	return obj, nil
}

// primariesFor returns the Deployments meshcanary owns for the user's
// Deployment name in namespace: its primary, or the two slots of a
// promotion by role swap.
func (c *caches) primariesFor(namespace, name string) []*appsv1.Deployment {
	return byIndex[*appsv1.Deployment](c.idx.primaries, byOwner, namespace+"/"+name)
}

// servicesSelecting returns the Services of namespace whose selector
// includes one of the labels (candidates for workload.SelectingServices).
func (c *caches) servicesSelecting(namespace string, podLabels map[string]string) []*corev1.Service {
	seen := map[string]bool{}
	var out []*corev1.Service
	for _, key := range labelKeys(namespace, podLabels) {
		for _, svc := range byIndex[*corev1.Service](c.idx.services, bySelector, key) {
			if !seen[svc.Name] {
				seen[svc.Name] = true
				out = append(out, svc)
			}
		}
	}
	return out
}

// destinationRulesOf returns the DestinationRules whose host is the
// Service namespace/service.
func (c *caches) destinationRulesOf(namespace, service string) []*networkingv1.DestinationRule {
	return byIndex[*networkingv1.DestinationRule](c.idx.drs, byService, namespace+"/"+service)
}
