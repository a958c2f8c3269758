package controller

import (
	"sort"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
)

// The informer indexes, so that a reconcile and an event handler look up
// the few objects of one canary instead of listing a namespace. Every key
// is namespace-qualified ("ns/..."), as an informer of every namespace
// holds them all.
const (
	// byService: a VirtualService under every Service its hosts and
	// destinations name, resolved as Istio resolves them in its namespace
	// (istio.ServicesOf); a DestinationRule under its host's Service; an
	// EndpointSlice under the Service its kubernetes.io/service-name
	// label names. Key "ns/service".
	byService = "service"
	// byRoutesFor: a VirtualService or DestinationRule under the
	// Deployment its meshcanary.io/routes-for names ("ns/deployment",
	// the Deployment in the object's namespace unless qualified).
	byRoutesFor = "routes-for"
	// byDelegate: a root VirtualService under every child its delegate
	// routes name. Key "ns/child".
	byDelegate = "delegate"
	// bySelector: a Service under each label of its selector. Key
	// "ns/key=value".
	bySelector = "selector"
	// byTemplateLabel: an opted-in Deployment under each label of its pod
	// template. Key "ns/key=value".
	byTemplateLabel = "template-label"
	// byServiceName: an opted-in Deployment under the Service its
	// meshcanary.io/service names. Key "ns/service".
	byServiceName = "service-name"
	// byOwner: a primary Deployment or an HPA twin under the Deployment
	// its meshcanary.io/primary-of label names; a user's HPA under the
	// Deployment it scales. Key "ns/deployment".
	byOwner = "owner"
)

// serviceAnnotation is the full key of meshcanary.io/service.
const serviceAnnotation = config.Prefix + config.KeyService

// Indexers of each kind of object the controller watches.
var (
	userIndexers = cache.Indexers{
		cache.NamespaceIndex: cache.MetaNamespaceIndexFunc,
		byTemplateLabel:      indexTemplateLabels,
		byServiceName:        indexServiceName,
	}
	primaryIndexers = cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc, byOwner: indexOwner}
	serviceIndexers = cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc, bySelector: indexSelector}
	hpaIndexers     = cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc, byOwner: indexOwner}
	vsIndexers      = cache.Indexers{
		cache.NamespaceIndex: cache.MetaNamespaceIndexFunc,
		byService:            indexVirtualServiceServices,
		byRoutesFor:          indexRoutesFor,
		byDelegate:           indexDelegates,
	}
	drIndexers = cache.Indexers{
		cache.NamespaceIndex: cache.MetaNamespaceIndexFunc,
		byService:            indexDestinationRuleService,
		byRoutesFor:          indexRoutesFor,
	}
	endpointSliceIndexers = cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc, byService: indexEndpointSliceService}
)

func indexVirtualServiceServices(obj any) ([]string, error) {
	if vs, ok := obj.(*networkingv1.VirtualService); ok {
		return istio.ServicesOf(vs), nil
	}
	return nil, nil
}

func indexDelegates(obj any) ([]string, error) {
	if vs, ok := obj.(*networkingv1.VirtualService); ok {
		return istio.DelegatesOf(vs), nil
	}
	return nil, nil
}

func indexDestinationRuleService(obj any) ([]string, error) {
	if dr, ok := obj.(*networkingv1.DestinationRule); ok {
		if ns, name, ok := istio.ServiceOfHost(dr.Spec.GetHost(), dr.Namespace); ok {
			return []string{ns + "/" + name}, nil
		}
	}
	return nil, nil
}

func indexRoutesFor(obj any) ([]string, error) {
	switch o := obj.(type) {
	case *networkingv1.VirtualService:
		return routesForKeys(o.Namespace, o.Annotations), nil
	case *networkingv1.DestinationRule:
		return routesForKeys(o.Namespace, o.Annotations), nil
	}
	return nil, nil
}

// routesForKeys is the Deployment, "ns/name", that the routes-for
// annotation of an object in namespace ns names.
func routesForKeys(ns string, annotations map[string]string) []string {
	v := annotations[config.RoutesForAnnotation]
	if v == "" {
		return nil
	}
	if strings.Contains(v, "/") {
		return []string{v}
	}
	return []string{ns + "/" + v}
}

func indexSelector(obj any) ([]string, error) {
	if svc, ok := obj.(*corev1.Service); ok {
		return labelKeys(svc.Namespace, svc.Spec.Selector), nil
	}
	return nil, nil
}

func indexTemplateLabels(obj any) ([]string, error) {
	if d, ok := obj.(*appsv1.Deployment); ok {
		return labelKeys(d.Namespace, d.Spec.Template.Labels), nil
	}
	return nil, nil
}

func indexServiceName(obj any) ([]string, error) {
	if d, ok := obj.(*appsv1.Deployment); ok {
		if svc := strings.TrimSpace(d.Annotations[serviceAnnotation]); svc != "" {
			return []string{d.Namespace + "/" + svc}, nil
		}
	}
	return nil, nil
}

func indexOwner(obj any) ([]string, error) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		if owner := o.Labels[config.PrimaryOfLabel]; owner != "" {
			return []string{o.Namespace + "/" + owner}, nil
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		if owner := o.Labels[config.PrimaryOfLabel]; owner != "" {
			return []string{o.Namespace + "/" + owner}, nil
		}
		if o.Spec.ScaleTargetRef.Kind == "Deployment" {
			return []string{o.Namespace + "/" + o.Spec.ScaleTargetRef.Name}, nil
		}
	}
	return nil, nil
}

// labelKeys are the keys "ns/key=value" of a label set, sorted.
func labelKeys(ns string, set map[string]string) []string {
	keys := make([]string, 0, len(set))
	for k, v := range set {
		keys = append(keys, ns+"/"+k+"="+v)
	}
	sort.Strings(keys)
	return keys
}

// byIndex returns the objects of type T that indexer holds under key.
func byIndex[T any](indexer cache.Indexer, index, key string) []T {
	if indexer == nil {
		return nil
	}
	objs, _ := indexer.ByIndex(index, key)
	out := make([]T, 0, len(objs))
	for _, o := range objs {
		if t, ok := o.(T); ok {
			out = append(out, t)
		}
	}
	return out
}
