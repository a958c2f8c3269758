package meshsim

import (
	"context"
	"fmt"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	networkinglisters "istio.io/client-go/pkg/listers/networking/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// watch is a Mesh backed by informer caches of the watched namespaces.
type watch struct {
	kube  []informers.SharedInformerFactory
	istio []istioinformers.SharedInformerFactory
	// listers by namespace; the key "" holds all-namespace listers.
	listers map[string]*listers
}

type listers struct {
	services corelisters.ServiceLister
	pods     corelisters.PodLister
	vss      cache.Indexer // indexed by hostIndex
	drs      networkinglisters.DestinationRuleLister
}

// hostIndex indexes VirtualServices by the FQDN of each host, and those
// with a wildcard host under wildcardKey, so a request looks at the few
// that may apply instead of all.
const (
	hostIndex   = "meshsim-host"
	wildcardKey = "*"
)

func indexHosts(obj any) ([]string, error) {
	vs, ok := obj.(*networkingv1.VirtualService)
	if !ok {
		return nil, nil
	}
	keys := make([]string, 0, len(vs.Spec.GetHosts()))
	for _, h := range vs.Spec.GetHosts() {
		if full := expandHost(h, vs.Namespace); strings.HasPrefix(full, "*") {
			keys = append(keys, wildcardKey)
		} else {
			keys = append(keys, full)
		}
	}
	return keys, nil
}

// newWatch sets up (without starting) informers for namespaces, all of
// them when namespaces is empty, calling onPod for pod events.
func newWatch(kube kubernetes.Interface, istio istioclient.Interface, namespaces []string, onPod cache.ResourceEventHandler) (*watch, error) {
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	w := &watch{listers: map[string]*listers{}}
	for _, ns := range namespaces {
		if w.listers[ns] != nil {
			continue
		}
		kf := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(ns))
		isf := istioinformers.NewSharedInformerFactoryWithOptions(istio, 0, istioinformers.WithNamespace(ns))
		pods := kf.Core().V1().Pods()
		if _, err := pods.Informer().AddEventHandler(onPod); err != nil {
			return nil, fmt.Errorf("watching pods of namespace %q: %w", ns, err)
		}
		vss := isf.Networking().V1().VirtualServices().Informer()
		if err := vss.AddIndexers(cache.Indexers{hostIndex: indexHosts}); err != nil {
			return nil, fmt.Errorf("indexing VirtualServices of namespace %q: %w", ns, err)
		}
		w.listers[ns] = &listers{
			services: kf.Core().V1().Services().Lister(),
			pods:     pods.Lister(),
			vss:      vss.GetIndexer(),
			drs:      isf.Networking().V1().DestinationRules().Lister(),
		}
		w.kube, w.istio = append(w.kube, kf), append(w.istio, isf)
	}
	return w, nil
}

// start starts the informers and waits until their caches are filled.
func (w *watch) start(ctx context.Context) error {
	for _, f := range w.kube {
		f.Start(ctx.Done())
	}
	for _, f := range w.istio {
		f.Start(ctx.Done())
	}
	for _, f := range w.kube {
		for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
			if !ok {
				return fmt.Errorf("syncing %v cache: %w", typ, context.Cause(ctx))
			}
		}
	}
	for _, f := range w.istio {
		for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
			if !ok {
				return fmt.Errorf("syncing %v cache: %w", typ, context.Cause(ctx))
			}
		}
	}
	return nil
}

// stop stops the informers once the context given to start is done.
func (w *watch) stop() {
	for _, f := range w.kube {
		f.Shutdown()
	}
	for _, f := range w.istio {
		f.Shutdown()
	}
}

func (w *watch) of(ns string) *listers {
	if l, ok := w.listers[ns]; ok {
		return l
	}
	return w.listers[metav1.NamespaceAll]
}

// Service implements Mesh.
func (w *watch) Service(ref ServiceRef) (*corev1.Service, bool) {
	l := w.of(ref.Namespace)
	if l == nil {
		return nil, false
	}
	svc, err := l.services.Services(ref.Namespace).Get(ref.Name)
	return svc, err == nil
}

// Pods implements Mesh.
func (w *watch) Pods(ns string, selector labels.Selector) []*corev1.Pod {
	l := w.of(ns)
	if l == nil {
		return nil
	}
	pods, _ := l.pods.Pods(ns).List(selector) // a cache lister never fails
	return pods
}

// VirtualServices implements Mesh.
func (w *watch) VirtualServices(fqdn string) []*networkingv1.VirtualService {
	var out []*networkingv1.VirtualService
	for _, l := range w.listers {
		for _, key := range []string{fqdn, wildcardKey} {
			objs, _ := l.vss.ByIndex(hostIndex, key) // the index exists
			for _, o := range objs {
				out = append(out, o.(*networkingv1.VirtualService))
			}
		}
	}
	return out
}

// DestinationRules implements Mesh.
func (w *watch) DestinationRules(ns string) []*networkingv1.DestinationRule {
	l := w.of(ns)
	if l == nil {
		return nil
	}
	drs, _ := l.drs.DestinationRules(ns).List(labels.Everything())
	return drs
}
