package controller

import (
	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// addHandlers maps every informer event to the key (namespace/name) of the
// user's Deployment it concerns.
func (c *Controller) addHandlers(cs *caches) {
	users, primaries, services, hpas, vss, drs := cs.informers[0], cs.informers[1],
		cs.informers[2], cs.informers[3], cs.informers[4], cs.informers[5]

	_, _ = users.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueueObject,
		UpdateFunc: func(oldObj, newObj any) {
			if userChanged(oldObj.(*appsv1.Deployment), newObj.(*appsv1.Deployment)) {
				c.enqueueObject(newObj)
			}
		},
		DeleteFunc: c.enqueueObject,
	})
	_, _ = primaries.AddEventHandler(labelHandler(c, config.PrimaryOfLabel))
	enqueueHPA := func(obj any) { c.enqueueHPA(cs, obj) }
	_, _ = hpas.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueueHPA,
		UpdateFunc: func(_, newObj any) { enqueueHPA(newObj) },
		DeleteFunc: enqueueHPA,
	})
	nsWide := c.routesHandler(cs, func(any, any) bool { return false })
	_, _ = services.AddEventHandler(nsWide)
	_, _ = vss.AddEventHandler(c.routesHandler(cs, statusOnly))
	_, _ = drs.AddEventHandler(nsWide)
}

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

// routesHandler handles Services, VirtualServices and DestinationRules:
// an object that records meshcanary routes enqueues its Deployment; any
// other may be the one a canary should adopt, so every opted-in Deployment
// of its namespace is enqueued (these objects change rarely). Updates that
// ignore reports as meshcanary's own are skipped.
func (c *Controller) routesHandler(cs *caches, ignore func(oldObj, newObj any) bool) cache.ResourceEventHandler {
	enqueue := func(obj any) {
		o, err := meta.Accessor(unwrap(obj))
		if err != nil {
			return
		}
		if owner := o.GetAnnotations()[config.RoutesForAnnotation]; owner != "" {
			c.queue.Add(o.GetNamespace() + "/" + owner)
			return
		}
		users, _ := cs.users.Deployments(o.GetNamespace()).List(labels.Everything())
		for _, u := range users {
			c.queue.Add(u.Namespace + "/" + u.Name)
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue,
		UpdateFunc: func(oldObj, newObj any) {
			o, _ := meta.Accessor(oldObj)
			n, _ := meta.Accessor(newObj)
			if o != nil && n != nil && o.GetResourceVersion() == n.GetResourceVersion() || ignore(oldObj, newObj) {
				return
			}
			enqueue(newObj)
		},
		DeleteFunc: enqueue,
	}
}

func unwrap(obj any) any {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return t.Obj
	}
	return obj
}
