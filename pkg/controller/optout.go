package controller

import (
	"context"
	"strings"
	"time"

	"go.uber.org/zap"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// optOutPoll is how often an opt-out in progress is looked at again: the
// user's Deployment is no longer in the label-filtered cache, so its
// progress is polled rather than watched.
const optOutPoll = time.Second

// optOut runs when a Deployment is no longer opted in: the label was
// removed, or the Deployment was deleted. It hands traffic back with no
// downtime, one stage per reconcile:
//
//  0. unless the user's template is the revision the primary runs, the
//     opt-out is held with all traffic on the primary (holdOptOut): a
//     rejected or unpromoted template never gets all traffic unasked; held
//     or not, any canary weight is taken away first, on the
//     VirtualServices read from the API (the cache may miss the last
//     weight written);
//  1. the user's Deployment is scaled back to the primary's replicas and
//     waited for until available; with a promotion by role swap, the
//     canary's slot is then scaled to 0 and waited for until its pods are
//     gone, since the plain service host of stage 2 would reach them;
//  2. routes are restored to the plain service host and the status is
//     removed with them (a VirtualService meshcanary created is deleted);
//  3. once no route has named them for stepper.SubsetLead (so the restored
//     routes reach Envoy in an xDS push before the removal), meshcanary's
//     subsets are removed;
//  4. a status annotation an older meshcanary left on the Deployment is
//     removed, then the primary and the HPA twin are deleted (both slots
//     of a promotion by role swap).
//
// A deleted Deployment skips stage 1; its primary and owned objects are
// also garbage-collected through their owner references.
func (c *Controller) optOut(ctx context.Context, cs *caches, ns, name string) (time.Duration, error) {
	owned := cs.primariesFor(ns, name)
	vss, drs := c.routesFor(cs, ns, name)
	if len(owned) == 0 && len(vss) == 0 && len(drs) == 0 {
		c.forget(ns, name)
		c.metrics.Forget(ns, name)
		return 0, c.clearStatus(ctx, ns, name)
	}
	log := c.log.With(zap.String("namespace", ns), zap.String("deployment", name))

	user, err := c.kube.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		user = nil
	case err != nil:
		return 0, wrap(err, "reading Deployment %s", name)
	case user.Labels[config.EnabledLabel] == config.EnabledValue:
		return optOutPoll, nil // the cache has not seen the label come back yet
	}
	slot := statusSlot(vss, ns)
	primary := primaryOf(owned, name, slot, user)

	if user != nil && primary != nil {
		// The canary's weight is taken away on what the API holds: the
		// cache can still miss the last weight written just before the
		// label went, and a route decided on it would leave that weight
		// in place.
		live, err := c.liveVirtualServices(ctx, vss)
		if err != nil {
			return 0, err
		}
		if held, err := c.holdOptOut(ctx, user, primary, live, drs, slot, log); held || err != nil {
			return optOutHeldPoll, err
		}
		// Not held (the template is the primary's revision): the canary's
		// weight still goes before the user's Deployment is scaled or rolls
		// its pods back, so no request goes to a canary pod on its way out.
		if err := c.routePrimaryOnly(ctx, live, nil, "", ns, name, drs, slot, log); err != nil {
			return optOutPoll, err
		}
		if want := workload.Replicas(primary); workload.Replicas(user) < want {
			log.Info("opt-out: scaling the Deployment back up before handing traffic back", zap.Int32("replicas", want))
			d := user.DeepCopy()
			d.Spec.Replicas = &want
			_, err := c.kube.AppsV1().Deployments(ns).Update(ctx, d, updateOpts)
			return optOutPoll, wrap(c.counted("Deployment", "update", err), "scaling Deployment %s back", name)
		}
		if !workload.Available(user) {
			return optOutPoll, nil
		}
		if wait, err := c.idleCanarySlot(ctx, owned, primary, log); wait || err != nil {
			return optOutPoll, err
		}
	}

	if len(vss) > 0 {
		log.Info("opt-out: restoring routes to the plain service host")
		return optOutPoll, c.restoreVirtualServices(ctx, vss, ns, name, drs, slot)
	}
	if len(drs) > 0 {
		// Make before break: the restored routes go out in an xDS push
		// of their own before the subsets they named are removed.
		since := c.routesGoneSince(ns+"/"+name, c.clock.Now())
		if wait := stepper.SubsetLead - c.clock.Since(since); wait > 0 {
			return wait, nil
		}
		log.Info("opt-out: removing meshcanary's subsets")
		return optOutPoll, c.restoreDestinationRules(ctx, drs, ns, name)
	}
	if primary != nil {
		// The status goes before the primary: a controller that dies
		// between the two finds the primary again through its watch and
		// finishes, whereas nothing would bring it back to a Deployment
		// that is out of its label-filtered cache and has no primary left,
		// and the status would stay on it.
		if user != nil && user.Annotations[config.StatusAnnotation] != "" {
			log.Info("opt-out: removing the status an older meshcanary kept on the Deployment")
			return optOutPoll, c.removeStatus(ctx, user)
		}
		for _, d := range primaryLast(owned, primary) {
			log.Info("opt-out: deleting the primary", zap.String("primary", d.Name))
			if err := c.deletePrimary(ctx, cs, d, name); err != nil {
				return 0, err
			}
		}
		return optOutPoll, nil
	}
	return 0, nil
}

func (c *Controller) restoreVirtualServices(ctx context.Context, vss []*networkingv1.VirtualService, ns, name string, drs []*networkingv1.DestinationRule, slot config.Slot) error {
	for _, vs := range vss {
		client := c.istio.NetworkingV1().VirtualServices(vs.Namespace)
		restored := istio.RestoredVirtualService(vs, targetFromDRs(ns, name, drs, vs, slot))
		if restored != nil {
			delete(restored.Annotations, config.StatusAnnotation)
		}
		if restored == nil {
			if err := c.remove(ctx, "VirtualService", "VirtualService "+vs.Namespace+"/"+vs.Name, vs.Name, client.Delete); err != nil {
				return err
			}
			continue
		}
		if _, err := upsert(ctx, c, client, "VirtualService", "VirtualService "+vs.Namespace+"/"+vs.Name, vs, restored, nil); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) restoreDestinationRules(ctx context.Context, drs []*networkingv1.DestinationRule, ns, name string) error {
	client := c.istio.NetworkingV1().DestinationRules(ns)
	for _, dr := range drs {
		restored := istio.RestoredDestinationRule(dr, istio.Target{Namespace: ns, Service: serviceOfHost(dr.Spec.GetHost()), Deployment: name})
		if restored == nil {
			if err := c.remove(ctx, "DestinationRule", "DestinationRule "+dr.Name, dr.Name, client.Delete); err != nil {
				return err
			}
			continue
		}
		if _, err := upsert(ctx, c, client, "DestinationRule", "DestinationRule "+dr.Name, dr, restored, nil); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) deletePrimary(ctx context.Context, cs *caches, primary *appsv1.Deployment, name string) error {
	if _, twin := findHPAs(cs, primary.Namespace, name, primary.Name); twin != nil {
		hpas := c.kube.AutoscalingV2().HorizontalPodAutoscalers(primary.Namespace)
		if err := c.remove(ctx, "HorizontalPodAutoscaler", "HPA twin "+twin.Name, twin.Name, hpas.Delete); err != nil {
			return err
		}
	}
	return c.remove(ctx, "Deployment", "primary "+primary.Name, primary.Name, c.kube.AppsV1().Deployments(primary.Namespace).Delete)
}

// clearStatus removes the status annotation an older meshcanary kept on
// the Deployment, once everything else is handed back. It reads the Deployment (it is
// outside the cache) only when it may still carry the annotation, which is
// at most once per opt-out.
func (c *Controller) clearStatus(ctx context.Context, ns, name string) error {
	user, err := c.kube.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return wrap(err, "reading Deployment %s", name)
	}
	if _, ok := user.Annotations[config.StatusAnnotation]; !ok || user.Labels[config.EnabledLabel] == config.EnabledValue {
		return nil
	}
	return c.removeStatus(ctx, user)
}

// removeStatus removes the status annotation from user, a Deployment that
// opted out.
func (c *Controller) removeStatus(ctx context.Context, user *appsv1.Deployment) error {
	d := user.DeepCopy()
	delete(d.Annotations, config.StatusAnnotation)
	_, err := c.kube.AppsV1().Deployments(user.Namespace).Update(ctx, d, updateOpts)
	return wrap(ignoreNotFound(c.counted("Deployment", "update", err)), "removing status from Deployment %s", user.Name)
}

// liveVirtualServices reads the VirtualServices of vss again from the API,
// leaving out those that are gone.
func (c *Controller) liveVirtualServices(ctx context.Context, vss []*networkingv1.VirtualService) ([]*networkingv1.VirtualService, error) {
	out := make([]*networkingv1.VirtualService, 0, len(vss))
	for _, vs := range vss {
		live, err := c.istio.NetworkingV1().VirtualServices(vs.Namespace).Get(ctx, vs.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, wrap(err, "reading VirtualService %s", vs.Name)
		}
		out = append(out, live)
	}
	return out, nil
}

// targetFromDRs recovers the service a VirtualService's routes were split
// for from the DestinationRule meshcanary wrote for it; slot is the
// primary's slot of a promotion by role swap.
func targetFromDRs(ns, name string, drs []*networkingv1.DestinationRule, vs *networkingv1.VirtualService, slot config.Slot) istio.Target {
	t := istio.Target{Namespace: ns, Deployment: name, Slot: slot}
	if len(drs) > 0 {
		t.Service = serviceOfHost(drs[0].Spec.GetHost())
	} else if hosts := vs.Spec.GetHosts(); len(hosts) > 0 {
		t.Service = serviceOfHost(hosts[0])
	}
	return t
}

// serviceOfHost returns the Service name of a host in any of its forms
// (name, name.ns, name.ns.svc.cluster.local).
func serviceOfHost(host string) string {
	name, _, _ := strings.Cut(host, ".")
	return name
}
