//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/cli"
	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// recorder watches one app's namespace for the whole test and keeps every
// version it sees of the app's release status (read as meshcanary status
// reads it: from the VirtualService that routes for the Deployment), of the VirtualServices
// and of the DestinationRules, in order, each with the time it was seen.
// It also samples the simulator's counts for the app's service, so the
// traffic of any interval can be measured (traffic.between).
type recorder struct {
	ns, name string
	cancel   context.CancelFunc
	// deployments and vss are the informers' stores, from which the
	// status is read at every change of either.
	deployments, vss cache.Store

	mu         sync.Mutex
	statuses   []statusVersion
	vsVersions []vsVersion
	drs        []drVersion
	replicas   []replicasVersion
	changed    chan struct{} // closed and replaced on every new version

	traffic countSamples
}

// statusVersion is one distinct value of the status annotation, wherever
// it is kept.
type statusVersion struct {
	At     time.Time
	Raw    string
	Status stepper.Status
}

// vsVersion is one version of a VirtualService; VS is nil once deleted.
type vsVersion struct {
	At   time.Time
	Name string
	VS   *networkingv1.VirtualService
}

// replicasVersion is one value of the user's Deployment's spec.replicas.
type replicasVersion struct {
	At       time.Time
	Replicas int32
}

// drVersion is one version of a DestinationRule; DR is nil once deleted.
type drVersion struct {
	At   time.Time
	Name string
	DR   *networkingv1.DestinationRule
}

// startRecorder starts watching namespace ns and returns once the caches
// are filled.
func startRecorder(ns, name, service string) (*recorder, error) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &recorder{ns: ns, name: name, cancel: cancel, changed: make(chan struct{})}
	kf := informers.NewSharedInformerFactoryWithOptions(env.kube, 0, informers.WithNamespace(ns))
	isf := istioinformers.NewSharedInformerFactoryWithOptions(env.istio, 0, istioinformers.WithNamespace(ns))
	deployments, vss := kf.Apps().V1().Deployments().Informer(), isf.Networking().V1().VirtualServices().Informer()
	r.deployments, r.vss = deployments.GetStore(), vss.GetStore()
	handlers := []struct {
		inf cache.SharedIndexInformer
		fn  func(obj any, deleted bool)
	}{
		{deployments, r.deployment},
		{vss, r.virtualService},
		{isf.Networking().V1().DestinationRules().Informer(), r.destinationRule},
	}
	for _, h := range handlers {
		fn := h.fn
		if _, err := h.inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { fn(obj, false) },
			UpdateFunc: func(_, obj any) { fn(obj, false) },
			DeleteFunc: func(obj any) { fn(obj, true) },
		}); err != nil {
			cancel()
			return nil, fmt.Errorf("watching namespace %s: %w", ns, err)
		}
	}
	kf.Start(ctx.Done())
	isf.Start(ctx.Done())
	kf.WaitForCacheSync(ctx.Done())
	isf.WaitForCacheSync(ctx.Done())
	go r.traffic.record(ctx, func() meshsim.Counts { return env.sim.Counts(ns, service) })
	return r, nil
}

func (r *recorder) stop() { r.cancel() }

func (r *recorder) deployment(obj any, _ bool) {
	d, ok := untomb(obj).(*appsv1.Deployment)
	if !ok || d.Name != r.name {
		return
	}
	replicas := ptr.Deref(d.Spec.Replicas, 1)
	r.mu.Lock()
	if n := len(r.replicas); n == 0 || r.replicas[n-1].Replicas != replicas {
		r.replicas = append(r.replicas, replicasVersion{At: time.Now(), Replicas: replicas})
	}
	r.mu.Unlock()
	r.status()
}

// status records the app's status when it changed: the informers' stores
// already hold the object of the event being handled.
func (r *recorder) status() {
	raw := ""
	if obj, ok, _ := r.deployments.GetByKey(r.ns + "/" + r.name); ok {
		var vss []*networkingv1.VirtualService
		for _, o := range r.vss.List() {
			vss = append(vss, o.(*networkingv1.VirtualService))
		}
		raw = persistedStatus(obj.(*appsv1.Deployment), vss)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.statuses); n > 0 && r.statuses[n-1].Raw == raw {
		return
	}
	var s stepper.Status
	if raw != "" {
		_ = json.Unmarshal([]byte(raw), &s) // an unreadable status stays the zero Status, Raw shows it
	}
	r.statuses = append(r.statuses, statusVersion{At: time.Now(), Raw: raw, Status: s})
	r.notifyLocked()
}

// persistedStatus returns the release status the controller persisted for
// the user's Deployment d, raw, "" when there is none: the annotation of
// the VirtualService among vss that holds it (cli.StatusHome), else an
// older controller's on d. It is the one place the recorder and the tests
// that check where the status lives read it.
func persistedStatus(d *appsv1.Deployment, vss []*networkingv1.VirtualService) string {
	if home := cli.StatusHome(d, vss); home != nil {
		return home.Annotations[config.StatusAnnotation]
	}
	return d.Annotations[config.StatusAnnotation]
}

func (r *recorder) virtualService(obj any, deleted bool) {
	vs, ok := untomb(obj).(*networkingv1.VirtualService)
	if !ok {
		return
	}
	v := vsVersion{At: time.Now(), Name: vs.Name}
	if !deleted {
		v.VS = vs.DeepCopy()
	}
	r.mu.Lock()
	r.vsVersions = append(r.vsVersions, v)
	r.notifyLocked()
	r.mu.Unlock()
	r.status()
}

func (r *recorder) destinationRule(obj any, deleted bool) {
	dr, ok := untomb(obj).(*networkingv1.DestinationRule)
	if !ok {
		return
	}
	v := drVersion{At: time.Now(), Name: dr.Name}
	if !deleted {
		v.DR = dr.DeepCopy()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drs = append(r.drs, v)
	r.notifyLocked()
}

func (r *recorder) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// latest returns the last status seen and a channel closed at the next change.
func (r *recorder) latest() (statusVersion, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.statuses) == 0 {
		return statusVersion{}, r.changed
	}
	return r.statuses[len(r.statuses)-1], r.changed
}

// statusHistory returns every status seen so far.
func (r *recorder) statusHistory() []statusVersion {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]statusVersion(nil), r.statuses...)
}

// vsHistory returns every version seen so far of the VirtualService name.
func (r *recorder) vsHistory(name string) []vsVersion {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []vsVersion
	for _, v := range r.vsVersions {
		if v.Name == name {
			out = append(out, v)
		}
	}
	return out
}

// replicasHistory returns every value of the user's Deployment's
// spec.replicas seen so far.
func (r *recorder) replicasHistory() []replicasVersion {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.replicas)
}

// drHistory returns every version seen so far of the DestinationRule name.
func (r *recorder) drHistory(name string) []drVersion {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []drVersion
	for _, v := range r.drs {
		if v.Name == name {
			out = append(out, v)
		}
	}
	return out
}

func untomb(obj any) any {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return tomb.Obj
	}
	return obj
}
