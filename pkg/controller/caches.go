package controller

import (
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	istiolisters "istio.io/client-go/pkg/listers/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
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
// Deployments costs nothing.
type caches struct {
	users     appslisters.DeploymentLister
	primaries appslisters.DeploymentLister
	services  corelisters.ServiceLister
	hpas      autoscalinglisters.HorizontalPodAutoscalerLister
	vss       istiolisters.VirtualServiceLister
	drs       istiolisters.DestinationRuleLister

	informers []cache.SharedIndexInformer
	// kinds names what each of informers watches, in the same order.
	kinds []string
	start []func(stop <-chan struct{})
}

func newCaches(kube kubernetes.Interface, istio istioclient.Interface, namespace string, resync time.Duration) *caches {
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
	istioF := istioinformers.NewSharedInformerFactoryWithOptions(istio, resync,
		istioinformers.WithTransform(stripManagedFields), istioinformers.WithNamespace(namespace))

	users := userF.Apps().V1().Deployments()
	primaries := primaryF.Apps().V1().Deployments()
	services := allF.Core().V1().Services()
	hpas := allF.Autoscaling().V2().HorizontalPodAutoscalers()
	vss := istioF.Networking().V1().VirtualServices()
	drs := istioF.Networking().V1().DestinationRules()

	return &caches{
		users:     users.Lister(),
		primaries: primaries.Lister(),
		services:  services.Lister(),
		hpas:      hpas.Lister(),
		vss:       vss.Lister(),
		drs:       drs.Lister(),
		informers: []cache.SharedIndexInformer{
			users.Informer(), primaries.Informer(), services.Informer(),
			hpas.Informer(), vss.Informer(), drs.Informer(),
		},
		kinds: []string{
			"opted-in deployments", "primary deployments", "services",
			"horizontalpodautoscalers", "virtualservices", "destinationrules",
		},
		start: []func(<-chan struct{}){userF.Start, primaryF.Start, allF.Start, istioF.Start},
	}
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

// primaryFor returns the primary Deployment of the user's Deployment name in
// namespace, or nil.
func (c *caches) primaryFor(namespace, name string) *appsv1.Deployment {
	list, _ := c.primaries.Deployments(namespace).List(labels.SelectorFromSet(labels.Set{config.PrimaryOfLabel: name}))
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

// routesFor returns the VirtualServices and DestinationRules in namespace
// that record meshcanary routes or subsets for the Deployment name.
func (c *caches) routesFor(namespace, name string) ([]*networkingv1.VirtualService, []*networkingv1.DestinationRule) {
	var vss []*networkingv1.VirtualService
	var drs []*networkingv1.DestinationRule
	allVS, _ := c.vss.VirtualServices(namespace).List(labels.Everything())
	for _, vs := range allVS {
		if vs.Annotations[config.RoutesForAnnotation] == name {
			vss = append(vss, vs)
		}
	}
	allDR, _ := c.drs.DestinationRules(namespace).List(labels.Everything())
	for _, dr := range allDR {
		if dr.Annotations[config.RoutesForAnnotation] == name {
			drs = append(drs, dr)
		}
	}
	return vss, drs
}
