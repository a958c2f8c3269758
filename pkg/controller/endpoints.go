package controller

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// The canary's endpoints: istiod sends Envoy the endpoints of a Service
// that the EndpointSlice controller publishes, which can lag the Deployment
// controller's report that the canary's replicas are available. The
// stepper gives the canary no weight before its pods are ready endpoints
// (stepper.Observations.CanaryEndpoints), as it waits stepper.SubsetLead
// for its subset.

// maxGeneratedPrefix is how much of a generateName the API server keeps
// before its 5 random characters (names.SimpleNameGenerator): the pods of
// a ReplicaSet are named after it, truncated to this length.
const maxGeneratedPrefix = 58

// podPrefix is the name prefix of the pods a ReplicaSet (or any owner
// creating pods with generateName owner+"-") named owner creates.
func podPrefix(owner string) string {
	p := owner + "-"
	if len(p) > maxGeneratedPrefix {
		p = p[:maxGeneratedPrefix]
	}
	return p
}

// canaryPodPrefix is the name prefix of the canary's pods, "" when it is
// not known: for a rollout, those of the user's ReplicaSet of the canary
// hash (<deployment>-<hash>-); for a role swap, those of the canary slot's
// Deployment (<deployment>-slot-x-), whose ReplicaSets only it creates
// (the slot's current pod-template-hash is not recorded, so pods of an
// earlier revision the slot still runs count too; the Deployment is
// available only once they are gone, and the EndpointSlice controller then
// marks them not ready).
func (s *snapshot) canaryPodPrefix() string {
	if s.slot != "" {
		return podPrefix(config.SlotName(s.user.Name, s.slot.Other()))
	}
	if s.obs.CanaryHash == "" {
		return ""
	}
	return podPrefix(s.user.Name + "-" + s.obs.CanaryHash)
}

// canaryEndpoints counts the canary's pods that are ready endpoints of the
// Service s splits, in the EndpointSlices of that Service (one index
// lookup; the cache keeps only ready pod endpoints, see stripEndpointSlice).
func canaryEndpoints(cs *caches, s *snapshot) int32 {
	prefix := s.canaryPodPrefix()
	if prefix == "" || s.target.Service == "" {
		return 0
	}
	seen := map[string]bool{}
	for _, slice := range byIndex[*discoveryv1.EndpointSlice](cs.idx.endpoints, byService, s.user.Namespace+"/"+s.target.Service) {
		for _, ep := range slice.Endpoints {
			if ref := ep.TargetRef; ref != nil && ref.Kind == "Pod" && endpointReady(ep) && strings.HasPrefix(ref.Name, prefix) {
				seen[ref.Name] = true // a pod in two slices (IPv4 and IPv6) counts once
			}
		}
	}
	return int32(len(seen))
}

// endpointReady reads conditions.ready as istiod does: unknown (nil) is
// ready.
func endpointReady(ep discoveryv1.Endpoint) bool {
	return ep.Conditions.Ready == nil || *ep.Conditions.Ready
}

// indexEndpointSliceService: an EndpointSlice under the Service its
// kubernetes.io/service-name label names.
func indexEndpointSliceService(obj any) ([]string, error) {
	if es, ok := obj.(*discoveryv1.EndpointSlice); ok {
		if svc := es.Labels[discoveryv1.LabelServiceName]; svc != "" {
			return []string{es.Namespace + "/" + svc}, nil
		}
	}
	return nil, nil
}

// stripEndpointSlice keeps of an EndpointSlice only what canaryEndpoints
// reads: its name, namespace, resource version and Service label, and the
// pod name of each ready endpoint (no addresses, ports, topology, hints,
// other labels or annotations, no endpoints that are not ready pods), so
// the cache of every Service's endpoints costs little memory.
func stripEndpointSlice(obj any) (any, error) {
	es, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok {
		return stripManagedFields(obj)
	}
	out := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name: es.Name, Namespace: es.Namespace, UID: es.UID, ResourceVersion: es.ResourceVersion,
			DeletionTimestamp: es.DeletionTimestamp,
		},
		AddressType: es.AddressType,
	}
	if svc := es.Labels[discoveryv1.LabelServiceName]; svc != "" {
		out.Labels = map[string]string{discoveryv1.LabelServiceName: svc}
	}
	ready := true
	for _, ep := range es.Endpoints {
		if ref := ep.TargetRef; ref != nil && ref.Kind == "Pod" && endpointReady(ep) {
			out.Endpoints = append(out.Endpoints, discoveryv1.Endpoint{
				Conditions: discoveryv1.EndpointConditions{Ready: &ready},
				TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: ref.Name},
			})
		}
	}
	return out, nil
}

// endpointsHandler enqueues the canaries of an EndpointSlice's Service when
// its ready pods change (the stripped slices hold nothing else).
func (c *Controller) endpointsHandler(cs *caches) cache.ResourceEventHandler {
	enqueue := func(obj any) {
		es, ok := unwrap(obj).(*discoveryv1.EndpointSlice)
		if !ok {
			return
		}
		if svc := es.Labels[discoveryv1.LabelServiceName]; svc != "" {
			for _, key := range cs.canariesOf(es.Namespace, svc, nil) {
				c.queue.Add(key)
			}
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue,
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(*discoveryv1.EndpointSlice)
			n, ok2 := newObj.(*discoveryv1.EndpointSlice)
			if ok1 && ok2 && equality.Semantic.DeepEqual(o.Endpoints, n.Endpoints) {
				return // resync, or a change of what the cache does not keep
			}
			enqueue(newObj)
		},
		DeleteFunc: enqueue,
	}
}
