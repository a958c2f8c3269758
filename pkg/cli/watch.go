package cli

import (
	"context"
	"fmt"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// Clients are the API clients the CLI reads and writes with.
type Clients struct {
	Kube  kubernetes.Interface
	Istio istioclient.Interface
}

// canaryChange is called by watchCanaries for a canary whose Deployment or
// status changed: c is the canary as CanaryOf reads it, d its Deployment;
// gone is set (and d nil) when the Deployment was deleted or is no longer
// opted in. Returning true ends the watch.
type canaryChange func(c Canary, d *appsv1.Deployment, gone bool) (bool, error)

// watchCanaries follows the opted-in Deployments of ns (every namespace
// when ""), or the one called name, the VirtualServices that hold their
// status and the Deployments meshcanary manages for them (a role swap's
// canary slot holds the start of a release), and calls fn for each canary
// as first seen and after each change, until fn returns true or an error,
// or ctx ends.
func watchCanaries(ctx context.Context, cl Clients, ns, name string, fn canaryChange) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	queue := workqueue.NewTyped[string]()
	defer queue.ShutDown()
	deployments := cache.NewSharedIndexInformer(deploymentWatch(cl.Kube, ns, enabledSelector, name), &appsv1.Deployment{}, 0, cache.Indexers{})
	slots := cache.NewSharedIndexInformer(deploymentWatch(cl.Kube, ns, managedSelector(name), ""), &appsv1.Deployment{}, 0,
		cache.Indexers{managedForIndex: managedFor})
	vss := cache.NewSharedIndexInformer(virtualServiceWatch(cl.Istio, ns), &networkingv1.VirtualService{}, 0,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	_, _ = deployments.AddEventHandler(keyHandler(queue, func(o metav1.Object) string { return o.GetName() }))
	_, _ = vss.AddEventHandler(keyHandler(queue, func(o metav1.Object) string { return o.GetAnnotations()[config.RoutesForAnnotation] }))
	_, _ = slots.AddEventHandler(keyHandler(queue, func(o metav1.Object) string { return o.GetLabels()[config.PrimaryOfLabel] }))
	go deployments.RunWithContext(ctx)
	go vss.RunWithContext(ctx)
	go slots.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), deployments.HasSynced, vss.HasSynced, slots.HasSynced) {
		return nil
	}
	go func() {
		<-ctx.Done()
		queue.ShutDown()
	}()
	for {
		key, quit := queue.Get()
		if quit {
			return nil
		}
		done, err := changed(deployments.GetStore(), vss.GetIndexer(), slots.GetIndexer(), key, name, fn)
		queue.Done(key)
		if done || err != nil {
			return err
		}
	}
}

// changed calls fn for the canary of key.
func changed(deployments cache.Store, vss, slots cache.Indexer, key, name string, fn canaryChange) (bool, error) {
	obj, exists, err := deployments.GetByKey(key)
	if err != nil {
		return false, fmt.Errorf("reading deployment %s: %w", key, err)
	}
	d, _ := obj.(*appsv1.Deployment)
	if !exists || d == nil || !optedIn(d) || (name != "" && d.Name != name) {
		ns, n, _ := cache.SplitMetaNamespaceKey(key)
		return fn(Canary{Namespace: ns, Name: n}, nil, true)
	}
	objs, _ := vss.ByIndex(cache.NamespaceIndex, d.Namespace)
	list := make([]*networkingv1.VirtualService, 0, len(objs))
	for _, o := range objs {
		list = append(list, o.(*networkingv1.VirtualService))
	}
	objs, _ = slots.ByIndex(managedForIndex, key)
	managed := make([]*appsv1.Deployment, 0, len(objs))
	for _, o := range objs {
		managed = append(managed, o.(*appsv1.Deployment))
	}
	return fn(CanaryOf(d, list, managed), d, false)
}

// managedForIndex indexes the Deployments meshcanary manages by the
// namespace/name key of the Deployment they are managed for (managedFor).
const managedForIndex = "managedFor"

// managedFor is the indexer of managedForIndex: the key of the Deployment
// named by obj's config.PrimaryOfLabel, none without it.
func managedFor(obj any) ([]string, error) {
	o, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	name := o.GetLabels()[config.PrimaryOfLabel]
	if name == "" {
		return nil, nil
	}
	return []string{o.GetNamespace() + "/" + name}, nil
}

// keyHandler queues the namespace/name key of the Deployment an object
// concerns, named by deploymentOf ("" for none).
func keyHandler(queue workqueue.TypedInterface[string], deploymentOf func(metav1.Object) string) cache.ResourceEventHandler {
	add := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		o, err := meta.Accessor(obj)
		if err != nil {
			return
		}
		if name := deploymentOf(o); name != "" {
			queue.Add(o.GetNamespace() + "/" + name)
		}
	}
	return cache.ResourceEventHandlerFuncs{AddFunc: add, UpdateFunc: func(_, n any) { add(n) }, DeleteFunc: add}
}

// deploymentWatch lists and watches the Deployments of ns that selector
// selects, or the one called name among them. It tells the reflector
// whether kube supports watch-list semantics (the fake clientset does not).
func deploymentWatch(kube kubernetes.Interface, ns, selector, name string) cache.ListerWatcher {
	narrow := func(o *metav1.ListOptions) {
		o.LabelSelector = selector
		if name != "" {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", name).String()
		}
	}
	return cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			narrow(&o)
			return kube.AppsV1().Deployments(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			narrow(&o)
			return kube.AppsV1().Deployments(ns).Watch(ctx, o)
		},
	}, kube)
}

// virtualServiceWatch lists and watches the VirtualServices of ns, telling
// the reflector whether istio supports watch-list semantics.
func virtualServiceWatch(istio istioclient.Interface, ns string) cache.ListerWatcher {
	return cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return istio.NetworkingV1().VirtualServices(ns).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return istio.NetworkingV1().VirtualServices(ns).Watch(ctx, o)
		},
	}, istio)
}
