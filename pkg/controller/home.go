package controller

import (
	"slices"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
)

// The release status of a canary lives in the meshcanary.io/status
// annotation of its home VirtualService: the one meshcanary routes for the
// Deployment in the Deployment's namespace. The weights and the status
// then change in one Update, so the status is never behind the traffic it
// implies; the user's Deployment is not written for it (its generation is
// not bumped), and istiod does not push xDS for an update that changes
// only a meshcanary.io/ annotation. See docs/design.md, "Where the state
// lives".

// homeVirtualService returns the VirtualService that holds the status of
// user: the one meshcanary routes for it (istio.FindVirtualService for the
// resolved target t and the configured name), nil while there is none (the
// controller creates it when it first routes). When the Service could not
// be resolved (t.Service empty), it is the one VirtualService of the
// namespace marked as routing for the Deployment that holds a status, so
// that the safety timers of a release in flight still read their state.
// It is the one place that chooses the home; routing to more
// VirtualServices (gateways, delegates) does not move it.
func homeVirtualService(cs *caches, user *appsv1.Deployment, t istio.Target, name string) (*networkingv1.VirtualService, error) {
	if name != "" {
		vs, err := cs.vss.VirtualServices(user.Namespace).Get(name)
		if err != nil {
			return istio.FindVirtualService(nil, t, name)
		}
		return vs, nil
	}
	all := homeCandidates(cs, user, t)
	if t.Service != "" {
		return istio.FindVirtualService(all, t, name)
	}
	var found *networkingv1.VirtualService
	for _, vs := range all {
		if vs.Annotations[config.RoutesForAnnotation] != user.Name || vs.Annotations[config.StatusAnnotation] == "" {
			continue
		}
		if found != nil {
			return nil, nil
		}
		found = vs
	}
	return found, nil
}

// homeCandidates are the VirtualServices of the Deployment's namespace
// that FindVirtualService may pick for t: those whose hosts include t's
// Service, and those marked as routing for the Deployment that hold its
// status or are meshcanary's own. Another VirtualService split with the
// home one (a gateway's or a delegate child in the same namespace) is
// marked too, but is neither.
func homeCandidates(cs *caches, user *appsv1.Deployment, t istio.Target) []*networkingv1.VirtualService {
	all := byIndex[*networkingv1.VirtualService](cs.idx.vss, byRoutesFor, user.Namespace+"/"+user.Name)
	if t.Service != "" {
		all = append(all, byIndex[*networkingv1.VirtualService](cs.idx.vss, byService, user.Namespace+"/"+t.Service)...)
	}
	seen := map[string]bool{}
	var out []*networkingv1.VirtualService
	for _, vs := range all {
		if vs.Namespace != user.Namespace || seen[vs.Name] {
			continue
		}
		seen[vs.Name] = true
		home := vs.Annotations[config.StatusAnnotation] != "" || vs.Labels[config.ManagedByLabel] == config.ManagedByValue ||
			slices.ContainsFunc(vs.Spec.Hosts, func(h string) bool { return istio.MatchesHost(h, t) })
		if home {
			out = append(out, vs)
		}
	}
	return out
}

// statusSource says where a reconcile read the status from.
type statusSource int

const (
	// fromNowhere: no status yet (adoption), or one decided in memory
	// while no VirtualService exists to hold it (see Controller.pending).
	fromNowhere statusSource = iota
	// fromHome: the home VirtualService's annotation.
	fromHome
	// fromDeployment: the user's Deployment's annotation, where older
	// versions of meshcanary kept it; moved to the home by the next status
	// write, and removed from the Deployment then.
	fromDeployment
	// fromSlot: the start of a release promoted by role swap, recorded on
	// the canary's slot while the home's status is still idle
	// (stepper.Recorded); the home is written with step 1.
	fromSlot
)

// rawStatus returns the status annotation of the home VirtualService, or,
// when it holds none, that of the user's Deployment (an older controller's),
// and where it was found.
func rawStatus(home *networkingv1.VirtualService, user *appsv1.Deployment) (string, statusSource) {
	if home != nil {
		if raw := home.Annotations[config.StatusAnnotation]; raw != "" {
			return raw, fromHome
		}
	}
	if raw := user.Annotations[config.StatusAnnotation]; raw != "" {
		return raw, fromDeployment
	}
	return "", fromNowhere
}
