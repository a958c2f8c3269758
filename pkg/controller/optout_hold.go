package controller

import (
	"context"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// optOutHeldPoll is how often a held opt-out looks at the user's
// Deployment again (a GET: it is outside the cache); the wait lasts until
// the user acts, so it polls less often than an opt-out under way.
const optOutHeldPoll = 5 * time.Second

// holdOptOut keeps an opt-out from handing all traffic to a template the
// primary does not run (stepper.OptOut): while held, every route stays
// on the primary — a canary weight of a release in flight is taken away —
// and the reason is recorded once in the status (in the same write of the
// home VirtualService), as a Warning Event and in the log. It reports
// whether the opt-out must wait.
func (c *Controller) holdOptOut(ctx context.Context, user, primary *appsv1.Deployment, vss []*networkingv1.VirtualService,
	drs []*networkingv1.DestinationRule, slot config.Slot, log *zap.Logger) (bool, error) {
	home := statusHolder(vss, user.Namespace)
	raw, _ := rawStatus(home, user)
	status, _, err := stepper.ParseStatus(raw)
	unreadable := err != nil
	next, proceed, events := stepper.OptOut(status, workload.Revision(&user.Spec.Template),
		primary.Annotations[config.RevisionAnnotation], c.clock.Now())
	if proceed {
		return false, nil
	}
	record := ""
	if len(events) > 0 && !unreadable {
		record = next.Encode()
	}
	if err := c.routePrimaryOnly(ctx, vss, home, record, user.Namespace, user.Name, drs, slot, log); err != nil {
		return true, err
	}
	for _, e := range events {
		c.warn(user, e.Reason, e.Message, log)
	}
	return true, nil
}

// statusHolder returns the VirtualService among vss (those meshcanary
// routes for one Deployment) that holds its status, else the first in the
// Deployment's namespace ns; nil when none is there (the status lives in
// that namespace only).
func statusHolder(vss []*networkingv1.VirtualService, ns string) *networkingv1.VirtualService {
	var first *networkingv1.VirtualService
	for _, vs := range vss {
		if vs.Namespace != ns {
			continue
		}
		if vs.Annotations[config.StatusAnnotation] != "" {
			return vs
		}
		if first == nil {
			first = vs
		}
	}
	return first
}

// routePrimaryOnly takes the canary out of the routes meshcanary split —
// its weight, and the A/B, sticky and mirror routes of a strategy — keeping
// everything else in them; status, when not "", is written to home with
// its routes.
func (c *Controller) routePrimaryOnly(ctx context.Context, vss []*networkingv1.VirtualService, home *networkingv1.VirtualService, status, ns, name string,
	drs []*networkingv1.DestinationRule, slot config.Slot, log *zap.Logger) error {
	for _, vs := range vss {
		client := c.istio.NetworkingV1().VirtualServices(vs.Namespace)
		t := targetFromDRs(ns, name, drs, vs, slot)
		desired := istio.DesiredVirtualService(vs, istio.Routing{Target: t, Hosts: vs.Spec.Hosts, Gateways: vs.Spec.Gateways})
		if vs == home && status != "" {
			desired.Annotations[config.StatusAnnotation] = status
		}
		if istio.VirtualServiceEqual(vs, desired) {
			continue
		}
		if !proto.Equal(&vs.Spec, &desired.Spec) {
			log.Warn("opt-out: routing all traffic to the primary", zap.String("virtualService", vs.Namespace+"/"+vs.Name))
		}
		if _, err := upsert(ctx, c, client, "VirtualService", "VirtualService "+vs.Namespace+"/"+vs.Name+" to the primary only", vs, desired, nil); err != nil {
			return err
		}
	}
	return nil
}
