package controller

import (
	"context"
	"time"

	"go.uber.org/zap"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// handBackHeldPoll is how often a held opt-out looks at the user's
// Deployment again (a GET: it is outside the cache); the wait lasts until
// the user acts, so it polls less often than a hand-back under way.
const handBackHeldPoll = 5 * time.Second

// holdHandBack keeps an opt-out from handing all traffic to a template the
// primary does not run (stepper.HandBack): while held, every route stays
// on the primary — a canary weight of a release in flight is taken away —
// and the reason is recorded once in the status, as a Warning Event and in
// the log. It reports whether the hand-back must wait.
func (c *Controller) holdHandBack(ctx context.Context, user, primary *appsv1.Deployment, vss []*networkingv1.VirtualService,
	drs []*networkingv1.DestinationRule, log *zap.Logger) (bool, error) {
	status, err := decodeStatus(user.Annotations)
	unreadable := err != nil
	next, proceed, events := stepper.HandBack(status, workload.Revision(&user.Spec.Template),
		primary.Annotations[config.RevisionAnnotation], c.clock.Now())
	if proceed {
		return false, nil
	}
	if err := c.routePrimaryOnly(ctx, vss, user.Namespace, user.Name, drs, log); err != nil {
		return true, err
	}
	if len(events) == 0 {
		return true, nil
	}
	if !unreadable {
		d := user.DeepCopy()
		if d.Annotations == nil {
			d.Annotations = map[string]string{}
		}
		d.Annotations[config.StatusAnnotation] = encodeStatus(next)
		if err := c.updateUser(ctx, user, d); err != nil {
			return true, wrap(err, "recording the held opt-out of Deployment %s", user.Name)
		}
	}
	for _, e := range events {
		log.Warn(e.Message, zap.String("reason", e.Reason))
		c.recorder.Event(user, corev1.EventTypeWarning, e.Reason, e.Message)
	}
	return true, nil
}

// routePrimaryOnly takes the canary out of the routes meshcanary split —
// its weight, and the A/B, sticky and mirror routes of a strategy — keeping
// everything else in them.
func (c *Controller) routePrimaryOnly(ctx context.Context, vss []*networkingv1.VirtualService, ns, name string,
	drs []*networkingv1.DestinationRule, log *zap.Logger) error {
	client := c.istio.NetworkingV1().VirtualServices(ns)
	for _, vs := range vss {
		t := targetFromDRs(ns, name, drs, vs)
		desired := istio.DesiredVirtualService(vs, istio.Routing{Target: t, Hosts: vs.Spec.Hosts, Gateways: vs.Spec.Gateways})
		if istio.VirtualServiceEqual(vs, desired) {
			continue
		}
		log.Warn("opt-out held: routing all traffic to the primary", zap.String("virtualService", vs.Name))
		_, err := client.Update(ctx, desired, updateOpts)
		c.countWrite("VirtualService", "update")
		if err != nil {
			return wrap(err, "routing VirtualService %s to the primary", vs.Name)
		}
	}
	return nil
}
