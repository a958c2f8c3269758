package controller

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
)

// addHandlers maps every informer event of a scope to the keys
// (namespace/name) of the user's Deployments it concerns, looked up in
// the indexes (indexes.go), never by listing a namespace.
func (c *Controller) addHandlers(cs *caches) error {
	enqueueHPA := func(obj any) { c.enqueueHPA(cs, obj) }
	handlers := []struct {
		kind     string
		informer cache.SharedIndexInformer
		handler  cache.ResourceEventHandler
	}{
		{"opted-in deployments", cs.inf.users, cache.ResourceEventHandlerFuncs{
			AddFunc: c.enqueueObject,
			UpdateFunc: func(oldObj, newObj any) {
				if userChanged(oldObj.(*appsv1.Deployment), newObj.(*appsv1.Deployment)) {
					c.enqueueObject(newObj)
				}
			},
			DeleteFunc: c.enqueueObject,
		}},
		{"primary deployments", cs.inf.primaries, labelHandler(c, config.PrimaryOfLabel)},
		{"horizontalpodautoscalers", cs.inf.hpas, cache.ResourceEventHandlerFuncs{
			AddFunc:    enqueueHPA,
			UpdateFunc: func(_, newObj any) { enqueueHPA(newObj) },
			DeleteFunc: enqueueHPA,
		}},
		{"services", cs.inf.services, c.routesHandler(never)},
		{"virtualservices", cs.inf.vss, c.routesHandler(statusOnly)},
		{"destinationrules", cs.inf.drs, c.routesHandler(never)},
		{"endpointslices", cs.inf.endpoints, c.endpointsHandler(cs)},
	}
	for _, h := range handlers {
		if _, err := h.informer.AddEventHandler(h.handler); err != nil {
			return fmt.Errorf("adding the event handler of %s: %w", h.kind, err)
		}
	}
	return nil
}

// never ignores no update.
func never(any, any) bool { return false }

// userChanged reports whether an update of a user's Deployment is more than
// a change of the status annotation (meshcanary removes the one an older
// version kept there), so the controller does not react to itself.
func userChanged(oldD, newD *appsv1.Deployment) bool {
	if oldD.Generation != newD.Generation || !equality.Semantic.DeepEqual(oldD.Status, newD.Status) ||
		!equality.Semantic.DeepEqual(oldD.Labels, newD.Labels) {
		return true
	}
	return !equalExcept(oldD.Annotations, newD.Annotations, config.StatusAnnotation)
}

// statusOnly reports whether an update of a VirtualService changed only
// its status annotation: meshcanary's write of a decision that moves no
// traffic, which needs no reconcile (the one that wrote it requeued itself
// as it needed). Any other change, a user's edit or meshcanary's own route
// write, is looked at.
func statusOnly(oldObj, newObj any) bool {
	o, ok1 := oldObj.(*networkingv1.VirtualService)
	n, ok2 := newObj.(*networkingv1.VirtualService)
	return ok1 && ok2 && proto.Equal(&o.Spec, &n.Spec) && equality.Semantic.DeepEqual(o.Labels, n.Labels) &&
		equalExcept(o.Annotations, n.Annotations, config.StatusAnnotation)
}

func equalExcept(a, b map[string]string, skip string) bool {
	count := 0
	for k, v := range a {
		if k == skip {
			continue
		}
		count++
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	for k := range b {
		if k != skip {
			count--
		}
	}
	return count == 0
}

func (c *Controller) enqueueObject(obj any) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err == nil {
		c.queue.Add(key)
	}
}

// labelHandler enqueues the Deployment named by an object's label.
func labelHandler(c *Controller, label string) cache.ResourceEventHandler {
	enqueue := func(obj any) {
		if o, err := meta.Accessor(unwrap(obj)); err == nil && o.GetLabels()[label] != "" {
			c.queue.Add(o.GetNamespace() + "/" + o.GetLabels()[label])
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, newObj any) { enqueue(newObj) },
		DeleteFunc: enqueue,
	}
}

// enqueueHPA enqueues the opted-in Deployment an HPA (or HPA twin) scales;
// HPAs of other Deployments are ignored.
func (c *Controller) enqueueHPA(cs *caches, obj any) {
	hpa, ok := unwrap(obj).(*autoscalingv2.HorizontalPodAutoscaler)
	if !ok {
		return
	}
	if owner := hpa.Labels[config.PrimaryOfLabel]; owner != "" {
		c.queue.Add(hpa.Namespace + "/" + owner)
		return
	}
	target := hpa.Spec.ScaleTargetRef.Name
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" {
		return
	}
	if _, err := cs.users.Deployments(hpa.Namespace).Get(target); err == nil {
		c.queue.Add(hpa.Namespace + "/" + target)
	}
}

// routesHandler handles Services, VirtualServices and DestinationRules, in
// any namespace: the old and the new version of an object each enqueue the
// canaries they concern (routesKeys). Updates that ignore reports as
// meshcanary's own, and resyncs, are skipped.
func (c *Controller) routesHandler(ignore func(oldObj, newObj any) bool) cache.ResourceEventHandler {
	enqueue := func(objs ...any) {
		seen := map[string]bool{}
		for _, obj := range objs {
			for _, key := range c.routesKeys(unwrap(obj)) {
				if !seen[key] {
					seen[key] = true
					c.queue.Add(key)
				}
			}
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { enqueue(obj) },
		UpdateFunc: func(oldObj, newObj any) {
			o, _ := meta.Accessor(oldObj)
			n, _ := meta.Accessor(newObj)
			if o != nil && n != nil && o.GetResourceVersion() == n.GetResourceVersion() || ignore(oldObj, newObj) {
				return
			}
			enqueue(oldObj, newObj)
		},
		DeleteFunc: func(obj any) { enqueue(obj) },
	}
}

// routesKeys returns the canaries an object concerns: the Deployment its
// meshcanary.io/routes-for names, and the canaries of every Service it
// names (a Service itself; a DestinationRule's host; a VirtualService's
// hosts and destinations, and those of the children it delegates to).
func (c *Controller) routesKeys(obj any) []string {
	var keys, services []string
	switch o := obj.(type) {
	case *corev1.Service:
		cs := c.cachesFor(o.Namespace)
		if cs == nil {
			return nil
		}
		return cs.canariesOf(o.Namespace, o.Name, o.Spec.Selector)
	case *networkingv1.DestinationRule:
		keys = routesForKeys(o.Namespace, o.Annotations)
		if ns, name, ok := istio.ServiceOfHost(o.Spec.GetHost(), o.Namespace); ok {
			services = append(services, ns+"/"+name)
		}
	case *networkingv1.VirtualService:
		keys = routesForKeys(o.Namespace, o.Annotations)
		services = istio.ServicesOf(o)
		for _, child := range istio.DelegatesOf(o) {
			for _, store := range c.vsStores() {
				if obj, ok, _ := store.GetByKey(child); ok {
					services = append(services, istio.ServicesOf(obj.(*networkingv1.VirtualService))...)
				}
			}
		}
	}
	for _, svc := range services {
		ns, name, _ := strings.Cut(svc, "/")
		if cs := c.cachesFor(ns); cs != nil {
			keys = append(keys, cs.canariesOf(ns, name, nil)...)
		}
	}
	return keys
}

func unwrap(obj any) any {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return t.Obj
	}
	return obj
}
