package controller

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	istiolisters "istio.io/client-go/pkg/listers/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	appslisters "k8s.io/client-go/listers/apps/v1"
	autoscalinglisters "k8s.io/client-go/listers/autoscaling/v2"
	corelisters "k8s.io/client-go/listers/core/v1"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/metrics"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// fixture runs the controller's reconcile against fake clientsets. Instead
// of informers (asynchronous), its caches are refreshed from the fake
// clientsets before every reconcile, so each test is deterministic.
type fixture struct {
	t        *testing.T
	kube     *kubefake.Clientset
	istio    *istiofake.Clientset
	clock    *clocktesting.FakeClock
	recorder *record.FakeRecorder
	c        *Controller
	cs       *caches
	// log holds the writes of the last reconcile, in order, across both
	// clientsets.
	log []string
}

func newFixture(t *testing.T, kubeObjs []runtime.Object, istioObjs ...runtime.Object) *fixture {
	t.Helper()
	f := &fixture{
		t:        t,
		kube:     kubefake.NewClientset(kubeObjs...),
		istio:    istiofake.NewSimpleClientset(istioObjs...),
		clock:    clocktesting.NewFakeClock(t0),
		recorder: record.NewFakeRecorder(100),
	}
	record := func(a k8stesting.Action) (bool, runtime.Object, error) {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete":
			f.log = append(f.log, a.GetVerb()+" "+a.GetResource().Resource)
		}
		return false, nil, nil
	}
	f.kube.PrependReactor("*", "*", record)
	f.istio.PrependReactor("*", "*", record)
	f.cs = &caches{}
	f.restart()
	f.refresh()
	return f
}

// restart replaces the controller with a new one on the same clients and
// caches, as a restarted process: everything it kept in memory is gone,
// among it when the canary subset was first seen (subsetSince). A test
// that restarts after every reconcile therefore never lets a process live
// through the stepper.SubsetLead it waits before the first weight: the
// release stays at step 0, as it would in a crash loop faster than 1 s.
// Restart at chosen points instead (see promotedAfter).
func (f *fixture) restart() {
	var allowed []string
	if f.c != nil {
		allowed = f.c.allowed
	}
	f.c = &Controller{
		allowed:  allowed,
		kube:     f.kube,
		istio:    f.istio,
		recorder: f.recorder,
		metrics:  metrics.New(prometheus.NewRegistry()),
		log:      zap.NewNop(),
		clock:    f.clock,
		scopes:   map[string]*caches{"": f.cs},
		lastEval: map[string]time.Time{},
		// A background hook call or gate evaluation queues its canary
		// here when it ends; the fixture's own timers are the requeues
		// reconcile returns.
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
	f.t.Cleanup(f.c.queue.ShutDown)
}

// refresh rebuilds the listers from the fake clientsets' current objects.
func (f *fixture) refresh() {
	f.t.Helper()
	ctx := context.Background()
	users, primaries, services := indexer(userIndexers), indexer(primaryIndexers), indexer(serviceIndexers)
	hpas, vss, drs := indexer(hpaIndexers), indexer(vsIndexers), indexer(drIndexers)
	endpoints := indexer(endpointSliceIndexers)
	ds, _ := f.kube.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
	for i := range ds.Items {
		d := &ds.Items[i]
		if d.Labels[config.EnabledLabel] == config.EnabledValue {
			_ = users.Add(d)
		}
		if d.Labels[config.PrimaryOfLabel] != "" {
			_ = primaries.Add(d)
		}
	}
	svcs, _ := f.kube.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	for i := range svcs.Items {
		_ = services.Add(&svcs.Items[i])
	}
	hs, _ := f.kube.AutoscalingV2().HorizontalPodAutoscalers("").List(ctx, metav1.ListOptions{})
	for i := range hs.Items {
		_ = hpas.Add(&hs.Items[i])
	}
	vl, _ := f.istio.NetworkingV1().VirtualServices("").List(ctx, metav1.ListOptions{})
	for _, vs := range vl.Items {
		_ = vss.Add(vs)
	}
	dl, _ := f.istio.NetworkingV1().DestinationRules("").List(ctx, metav1.ListOptions{})
	for _, dr := range dl.Items {
		_ = drs.Add(dr)
	}
	es, _ := f.kube.DiscoveryV1().EndpointSlices("").List(ctx, metav1.ListOptions{})
	for i := range es.Items {
		stripped, _ := stripEndpointSlice(&es.Items[i])
		_ = endpoints.Add(stripped)
	}
	f.cs.users = appslisters.NewDeploymentLister(users)
	f.cs.primaries = appslisters.NewDeploymentLister(primaries)
	f.cs.services = corelisters.NewServiceLister(services)
	f.cs.hpas = autoscalinglisters.NewHorizontalPodAutoscalerLister(hpas)
	f.cs.vss = istiolisters.NewVirtualServiceLister(vss)
	f.cs.drs = istiolisters.NewDestinationRuleLister(drs)
	f.cs.idx = indexers{users: users, primaries: primaries, services: services, hpas: hpas, vss: vss, drs: drs, endpoints: endpoints}
}

// indexer is a store with the indexes the controller's informers have.
func indexer(indexers cache.Indexers) cache.Indexer {
	return cache.NewIndexer(cache.MetaNamespaceKeyFunc, indexers)
}

// reconcile refreshes the caches, clears the recorded actions and runs one
// reconcile of ns/web.
func (f *fixture) reconcile() time.Duration {
	f.t.Helper()
	f.refresh()
	f.log = nil
	requeue, err := f.c.reconcile(context.Background(), "ns/web")
	if err != nil {
		f.t.Fatalf("reconcile: %v", err)
	}
	return requeue
}

// writes lists the writes of the last reconcile as "verb resource", in order.
func (f *fixture) writes() []string { return f.log }

func (f *fixture) deployment(name string) *appsv1.Deployment {
	f.t.Helper()
	d, err := f.kube.AppsV1().Deployments("ns").Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("get deployment %s: %v", name, err)
	}
	return d
}

func (f *fixture) virtualService() *networkingv1.VirtualService {
	f.t.Helper()
	vs, err := f.istio.NetworkingV1().VirtualServices("ns").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("get virtualservice: %v", err)
	}
	return vs
}

// status is the status of ns/web as the controller would read it: from
// its home VirtualService, the one it keeps in memory while there is none,
// or a role swap's start recorded on the canary's slot.
func (f *fixture) status() stepper.Status {
	f.t.Helper()
	f.refresh()
	user := f.deployment("web")
	s := &snapshot{user: user}
	cfg, _ := config.Parse(user.Name, user.Annotations)
	t := istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}
	var err error
	if s.vs, err = homeVirtualService(f.cs, user, t, cfg.VirtualService); err != nil {
		f.t.Fatalf("home VirtualService: %v", err)
	}
	if !f.c.readStatus(s) {
		f.t.Fatalf("status %q is unreadable", s.statusRaw)
	}
	s.cfg, s.target = cfg, t
	gatherSlots(f.cs, s)
	readRecord(s)
	return s.status
}

// markAvailable plays the Deployment controller: every replica of name is
// rolled out and available; and the EndpointSlice controller: those pods
// are the ready endpoints of name in the Services selecting them (see
// publishEndpoints). A test of the endpoints' lag calls markRolledOut and
// publishEndpoints apart.
func (f *fixture) markAvailable(name string) {
	f.t.Helper()
	f.markRolledOut(name)
	f.publishEndpoints(name)
}

// markRolledOut plays the Deployment controller only: every replica of
// name is rolled out and available.
func (f *fixture) markRolledOut(name string) {
	f.t.Helper()
	d := f.deployment(name)
	n := ptr.Deref(d.Spec.Replicas, 1)
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
	if _, err := f.kube.AppsV1().Deployments("ns").UpdateStatus(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		f.t.Fatalf("update status: %v", err)
	}
}

// publishEndpoints plays the EndpointSlice controller for the Deployment
// name: one EndpointSlice per Service of the namespace selecting its pods
// (named <service>-<deployment>), listing its available replicas as ready
// endpoints, pods named after its current ReplicaSet
// (<deployment>-<pod-template-hash>-<n>; the hash of the fake's
// ReplicaSet of the template when there is one, else "fixture").
func (f *fixture) publishEndpoints(name string) {
	f.t.Helper()
	ctx := context.Background()
	d := f.deployment(name)
	hash := "fixture"
	// Read from the tracker: the fixture's reads are no controller LISTs
	// (see replicaSetLists).
	gvr, gvk := appsv1.SchemeGroupVersion.WithResource("replicasets"), appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
	if obj, err := f.kube.Tracker().List(gvr, gvk, "ns"); err == nil {
		list := obj.(*appsv1.ReplicaSetList)
		rss := make([]*appsv1.ReplicaSet, len(list.Items))
		for i := range list.Items {
			rss[i] = &list.Items[i]
		}
		if h := workload.CurrentHash(d, rss); h != "" {
			hash = h
		}
	}
	ready := true
	var eps []discoveryv1.Endpoint
	for i := range d.Status.AvailableReplicas {
		eps = append(eps, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.0.0.%d", i+1)},
			Conditions: discoveryv1.EndpointConditions{Ready: &ready},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: fmt.Sprintf("%s-%s-%d", name, hash, i)},
		})
	}
	svcs, _ := f.kube.CoreV1().Services("ns").List(ctx, metav1.ListOptions{})
	for _, svc := range svcs.Items {
		if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
			continue
		}
		slice := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Name: svc.Name + "-" + name, Namespace: "ns",
				Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints:   eps,
		}
		client := f.kube.DiscoveryV1().EndpointSlices("ns")
		if _, err := client.Update(ctx, slice, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
			_, err = client.Create(ctx, slice, metav1.CreateOptions{})
			if err != nil {
				f.t.Fatalf("create endpointslice: %v", err)
			}
		} else if err != nil {
			f.t.Fatalf("update endpointslice: %v", err)
		}
	}
}

func webService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "web"}},
	}
}

func webDeployment(annotations map[string]string) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web", Namespace: "ns", UID: "uid-web", Generation: 1,
			Labels:      map[string]string{config.EnabledLabel: config.EnabledValue},
			Annotations: annotations,
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:v1"}}},
			},
		},
	}
}
