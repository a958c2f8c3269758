package controller

import (
	"context"
	"fmt"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/canary"
	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/strategy"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// snapshot is everything one decision needs, read from the caches. Objects
// in it are shared with the caches and must not be modified.
type snapshot struct {
	user  *appsv1.Deployment
	cfg   config.Config
	specs gates.Specs
	// strategy shapes the routes beyond weights; receivers get notifications.
	strategy  strategy.Strategy
	receivers []string
	status    stepper.Status
	target    istio.Target
	// vs is the home VirtualService (see homeVirtualService): the routes
	// meshcanary splits and the status; nil until meshcanary creates it.
	vs *networkingv1.VirtualService
	// reaches are the other VirtualServices that route to the service
	// (istio.Discover); routing the live ones among them, splits those
	// split with the home one (see discoverRoutes).
	reaches []istio.Reach
	routing []*networkingv1.VirtualService
	splits  []*networkingv1.VirtualService
	dr      *networkingv1.DestinationRule
	primary *appsv1.Deployment
	// slot is the primary's slot when the Deployment is promoted by role
	// swap ("" for a rollout: see slotOf); canary is then the other slot's
	// Deployment, nil until the first release creates it.
	slot    config.Slot
	canary  *appsv1.Deployment
	userHPA *autoscalingv2.HorizontalPodAutoscaler
	twinHPA *autoscalingv2.HorizontalPodAutoscaler
	obs     stepper.Observations
	// statusRaw is the status annotation as read, statusFrom where.
	statusRaw  string
	statusFrom statusSource
	// home is the status the home VirtualService holds: status itself,
	// unless status is a release recorded on the canary's slot (fromSlot).
	home stepper.Status
	// recordsStart is set when the decision starts a release that the
	// canary's slot records, in the write that gives it the template: the
	// home is not written for it (see recordStart).
	recordsStart bool
	// behind is set when the caches do not show the controller's own last
	// writes yet: nothing is decided then.
	behind bool
	// homeHolds is set once this reconcile wrote the status to the home
	// VirtualService, or found it there as decided.
	homeHolds bool
	// statusUnreadable is set when the status annotation is not valid JSON;
	// it is then reported but never overwritten.
	statusUnreadable bool
	// hashPending is set while the release's canary hash cannot be known
	// yet: the Deployment controller has not observed the new template.
	hashPending bool
}

// gather reads the configuration and the live objects of one opted-in
// Deployment, and its status from the home VirtualService. Problems are
// configuration the user must fix; with problems, s.target is set only
// when the routes could still be found. err is a transient failure worth a
// retry.
func (c *Controller) gather(ctx context.Context, cs *caches, user *appsv1.Deployment) (*snapshot, config.Problems, error) {
	s := &snapshot{user: user}
	spec, problems := canary.Parse(user.Name, user.Annotations)
	receivers, notifyProblems := c.notifier.Receivers(user.Annotations)
	s.cfg, s.specs, s.strategy, s.receivers = spec.Config, spec.Gates, spec.Strategy, receivers
	problems = append(problems, notifyProblems...)
	if c.gates != nil {
		problems = append(problems, c.gates.Check(s.specs)...)
	}
	problems = append(problems, c.checkHooks(s.cfg)...)

	// The routes are found even when annotations are invalid, or the Service
	// ambiguous, so that the safety timers of a release in flight can still
	// take its weight away.
	ns := user.Namespace
	service, p := resolveService(cs, user, s.cfg.Service)
	if p != nil {
		problems = append(problems, *p)
		service = routedService(cs, user)
	}
	if service != "" {
		s.target = istio.Target{Namespace: ns, Service: service, Deployment: user.Name, Owner: ownerRef(user)}
	}
	vs, err := homeVirtualService(cs, user, s.target, s.cfg.VirtualService)
	if err != nil {
		s.target = istio.Target{}
		problems = append(problems, config.Problem{Key: config.Prefix + config.KeyVirtualService, Value: s.cfg.VirtualService, Valid: err.Error()})
	}
	s.vs = vs
	if c.own.behind(user.Namespace+"/"+user.Name, s.vsStatus(), user.Generation, c.clock.Now()) {
		s.behind = true
		return s, nil, nil
	}
	if !c.readStatus(s) {
		return s, append(problems, config.Problem{Key: config.StatusAnnotation, Value: s.statusRaw,
			Valid: "JSON written by meshcanary; remove the annotation to start over"}), nil
	}
	if s.target.Service == "" {
		return s, problems, nil
	}
	gatherSlots(cs, s)
	readRecord(s)
	if c.own.recordBehind(user.Namespace+"/"+user.Name, s.canaryRecord(), c.clock.Now()) {
		s.behind = true
		return s, nil, nil
	}
	if s.dr, err = istio.FindDestinationRule(cs.destinationRulesOf(ns, service), s.target); err != nil {
		s.target = istio.Target{}
		return s, append(problems, config.Problem{Key: config.Prefix + config.KeyService, Value: service, Valid: err.Error()}), nil
	}
	c.discoverRoutes(s)
	if c.own.splitsBehind(user.Namespace+"/"+user.Name, s.splits, c.clock.Now()) {
		s.behind = true
		return s, nil, nil
	}
	s.primary, _ = cs.primaries.Deployments(ns).Get(s.cfg.PrimaryName)
	s.userHPA, s.twinHPA = findHPAs(cs, user.Namespace, user.Name, s.cfg.PrimaryName)
	problems = append(problems, swapProblems(s)...)

	if s.obs, err = c.observe(ctx, s); err != nil {
		return nil, nil, err
	}
	s.obs.CanaryEndpoints = canaryEndpoints(cs, s)
	return s, problems, nil
}

// vsStatus is the status annotation of the home VirtualService, "" when
// there is none.
func (s *snapshot) vsStatus() string {
	if s.vs == nil {
		return ""
	}
	return s.vs.Annotations[config.StatusAnnotation]
}

// readStatus sets s.status from the home VirtualService, from the user's
// Deployment where an older meshcanary kept it, or from the status decided
// in memory while there is no home. It reports false when the annotation
// is not a status: it is then reported but never overwritten.
func (c *Controller) readStatus(s *snapshot) bool {
	s.statusRaw, s.statusFrom = rawStatus(s.vs, s.user)
	if s.statusFrom == fromNowhere {
		if pending, ok := c.pendingOf(s.user.Namespace + "/" + s.user.Name); ok {
			s.status = pending
		}
		return true
	}
	st, _, err := stepper.ParseStatus(s.statusRaw)
	if err != nil {
		s.statusUnreadable = true
		return false
	}
	s.status, s.home = st, st
	return true
}

// observe builds the stepper's observations from the snapshot.
func (c *Controller) observe(ctx context.Context, s *snapshot) (stepper.Observations, error) {
	o := stepper.Observations{
		Revision: workload.Revision(&s.user.Spec.Template),
		Command:  s.user.Annotations[config.CommandAnnotation],
	}
	if s.slot != "" {
		o.PrimarySlot = s.slot
		observeCanarySlot(&o, s)
	} else {
		o.CanaryAvailable = workload.Available(s.user)
		// The progress deadline counts from the Deployment controller's
		// reports (stepper.Observations.CanaryProgressAt).
		o.CanaryUnobserved = s.user.Status.ObservedGeneration < s.user.Generation
		o.CanaryProgressAt = workload.LastProgress(s.user)
		o.CanaryTimedOutAt = workload.TimedOut(s.user)
	}
	if s.primary != nil {
		o.PrimaryExists = true
		o.PrimaryRevision = s.primary.Annotations[config.RevisionAnnotation]
		o.PrimaryAvailable = workload.Available(s.primary)
		o.PrimaryUnobserved = s.primary.Status.ObservedGeneration < s.primary.Generation
		o.PrimaryProgressAt = workload.LastProgress(s.primary)
		o.PrimaryTimedOutAt = workload.TimedOut(s.primary)
	}
	hash, err := c.canaryHash(ctx, s, o.Revision)
	if err != nil {
		return o, err
	}
	o.CanaryHash = hash
	o.SubsetsReady = istio.SubsetsReady(s.dr, s.target, hash)
	if o.SubsetsReady {
		now := c.clock.Now()
		o.SubsetAge = now.Sub(c.subsetSince(s.user.Namespace+"/"+s.user.Name, hash, now))
	}
	o.Routed, o.AppliedWeight = istio.ObserveRoutingAll(s.allRoutes(), s.target)
	o.Lagging = lagging(s)
	observeReplicas(&o, s)
	if stepper.ReplicasOwnerNeeded(s.cfg, s.status, o, c.clock.Now()) {
		if o.ReplicasByOthers, err = c.replicasByOthers(ctx, s.user); err != nil {
			return o, err
		}
	}
	return o, nil
}

// lagging names the split VirtualServices that do not route s's subsets
// with the home one's canary weight, while the home one routes them.
func lagging(s *snapshot) []string {
	homeRouted, weight := istio.ObserveRouting(s.vs, s.target)
	if !homeRouted {
		return nil
	}
	var refs []string
	for _, vs := range s.splits {
		if routed, w := istio.ObserveRouting(vs, s.target); !routed || w != weight {
			refs = append(refs, vs.Namespace+"/"+vs.Name)
		}
	}
	return refs
}

// canaryHash returns the pod-template-hash of the user's ReplicaSet for
// revision. The status remembers it per revision (and memory until the
// status is next written, see hashOf), so the ReplicaSets are listed (one
// read, not cached: ReplicaSets carry no label to filter a watch by) once
// per release, never while idle. Until the Deployment controller has
// observed the new template it has not created the ReplicaSet, and a LIST
// (which costs the API server the namespace's ReplicaSets, so grows with
// the canaries of the namespace) would find nothing: the hash is then
// pending (s.hashPending) and the DestinationRule's canary subset is left
// as it is until the hash is known, one write instead of a removal and a
// re-addition (see applyDestinationRule). It stays pending, without a
// second LIST, after a LIST that found no ReplicaSet of the template, until
// the Deployment controller reports something new (see listedInVain).
func (c *Controller) canaryHash(ctx context.Context, s *snapshot, revision string) (string, error) {
	st := s.status
	if s.slot != "" {
		return "", nil // the slots' subsets select no pod-template-hash
	}
	if st.Revision == revision && st.CanaryHash != "" {
		return st.CanaryHash, nil
	}
	if st.Phase == "" || st.Phase == stepper.PhaseInitializing || revision == st.StableRevision {
		return "", nil
	}
	key := s.user.Namespace + "/" + s.user.Name
	if hash, ok := c.hashOf(key, revision); ok {
		return hash, nil
	}
	report := rolloutReport(s.user)
	if s.user.Status.ObservedGeneration < s.user.Generation || c.listedInVain(key, revision, report) {
		s.hashPending = true
		return "", nil
	}
	sel, err := metav1.LabelSelectorAsSelector(s.user.Spec.Selector)
	if err != nil {
		return "", nil
	}
	list, err := c.kube.AppsV1().ReplicaSets(s.user.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return "", fmt.Errorf("listing ReplicaSets of %s/%s: %w", s.user.Namespace, s.user.Name, err)
	}
	rss := make([]*appsv1.ReplicaSet, len(list.Items))
	for i := range list.Items {
		rss[i] = &list.Items[i]
	}
	hash := workload.CurrentHash(s.user, rss)
	if hash == "" {
		c.rememberAbsent(key, revision, report)
		s.hashPending = true
		return "", nil
	}
	c.rememberHash(key, revision, hash)
	return hash, nil
}

// withLiveRouting returns a copy of s whose gateways, hosts and strategy
// are those of the live VirtualService, not the (invalid) annotations, so
// that taking the weight away changes nothing else in the routes.
func (s *snapshot) withLiveRouting() *snapshot {
	out := *s
	out.cfg.Gateways, out.cfg.Hosts = s.vs.Spec.Gateways, s.vs.Spec.Hosts
	out.strategy = strategy.Strategy{}
	return &out
}

// resolveService returns the Service to split: the one named, or the only
// one in the namespace whose selector matches the pod template's labels.
func resolveService(cs *caches, user *appsv1.Deployment, name string) (string, *config.Problem) {
	key := config.Prefix + config.KeyService
	if name != "" {
		if _, err := cs.services.Services(user.Namespace).Get(name); apierrors.IsNotFound(err) {
			return "", &config.Problem{Key: key, Value: name, Valid: fmt.Sprintf("the name of a Service in namespace %s", user.Namespace)}
		}
		return name, nil
	}
	matches := workload.SelectingServices(cs.servicesSelecting(user.Namespace, user.Spec.Template.Labels), user.Namespace, user.Spec.Template.Labels)
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return "", &config.Problem{Key: key, Value: "", Valid: fmt.Sprintf("no Service in namespace %s selects the pod template's labels; create one or name it here", user.Namespace)}
	default:
		return "", &config.Problem{Key: key, Value: "", Valid: fmt.Sprintf("several Services select the pods (%s); name one of them here", strings.Join(matches, ", "))}
	}
}

// routedService returns the Service that the VirtualServices marked as
// meshcanary's routes for the Deployment split, when exactly one does; ""
// otherwise.
func routedService(cs *caches, user *appsv1.Deployment) string {
	found := ""
	for _, vs := range byIndex[*networkingv1.VirtualService](cs.idx.vss, byRoutesFor, user.Namespace+"/"+user.Name) {
		if vs.Namespace != user.Namespace {
			continue
		}
		for _, key := range istio.ServicesOf(vs) {
			ns, svc, _ := strings.Cut(key, "/")
			if ns != user.Namespace {
				continue
			}
			if _, err := cs.services.Services(ns).Get(svc); err != nil {
				continue
			}
			t := istio.Target{Namespace: user.Namespace, Service: svc, Deployment: user.Name}
			if routed, _ := istio.ObserveRouting(vs, t); !routed || svc == found {
				continue
			}
			if found != "" {
				return ""
			}
			found = svc
		}
	}
	return found
}

// findHPAs returns the user's HorizontalPodAutoscaler targeting the
// Deployment and meshcanary's twin of it, either possibly nil.
func findHPAs(cs *caches, namespace, name, primary string) (user, twin *autoscalingv2.HorizontalPodAutoscaler) {
	for _, h := range byIndex[*autoscalingv2.HorizontalPodAutoscaler](cs.idx.hpas, byOwner, namespace+"/"+name) {
		switch {
		case h.Labels[config.PrimaryOfLabel] == name:
			twin = h
		case workload.TargetsDeployment(h, name):
			user = h
		}
	}
	return user, twin
}

func ownerRef(d *appsv1.Deployment) *metav1.OwnerReference {
	return metav1.NewControllerRef(d, appsv1.SchemeGroupVersion.WithKind("Deployment"))
}
