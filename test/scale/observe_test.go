//go:build scale

package scale

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// phaseEvent is a phase a canary's status entered and when the benchmark saw it.
type phaseEvent struct {
	at    time.Time
	phase stepper.Phase
}

// weightEvent is a canary weight its VirtualService took and when the
// benchmark saw it.
type weightEvent struct {
	at     time.Time
	weight int32
}

// observer watches, as admin, the canaries' Deployments and the
// VirtualServices in the namespace and keeps what each did when.
type observer struct {
	mu        sync.Mutex
	status    map[string]string // the last status annotation, by canary
	available map[string]bool
	phases    map[string][]phaseEvent
	weights   map[string][]weightEvent
	vsWrites  map[string][]time.Time // every resourceVersion a VirtualService took
	rollout   map[string][]rolloutEvent
	holds     []hold
}

// startObserver starts the watches and returns once their caches are synced.
func startObserver(ctx context.Context, kube kubernetes.Interface, istio istioclient.Interface) (*observer, error) {
	o := &observer{
		status: map[string]string{}, available: map[string]bool{},
		phases: map[string][]phaseEvent{}, weights: map[string][]weightEvent{}, vsWrites: map[string][]time.Time{},
		rollout: map[string][]rolloutEvent{},
	}
	deps := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(namespace),
		informers.WithTweakListOptions(func(opts *metav1.ListOptions) {
			opts.LabelSelector = labels.Set{config.EnabledLabel: config.EnabledValue}.String()
		})).Apps().V1().Deployments().Informer()
	vss := istioinformers.NewSharedInformerFactoryWithOptions(istio, 0,
		istioinformers.WithNamespace(namespace)).Networking().V1().VirtualServices().Informer()
	if _, err := deps.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { o.deployment(obj) },
		UpdateFunc: func(_, obj any) { o.deployment(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watching Deployments: %w", err)
	}
	if _, err := vss.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { o.virtualService(obj) },
		UpdateFunc: func(_, obj any) { o.virtualService(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watching VirtualServices: %w", err)
	}
	go deps.RunWithContext(ctx)
	go vss.RunWithContext(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), deps.HasSynced, vss.HasSynced) {
		return nil, fmt.Errorf("syncing the benchmark's watches: %w", ctx.Err())
	}
	return o, nil
}

func (o *observer) deployment(obj any) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return
	}
	now := time.Now()
	raw := d.Annotations[config.StatusAnnotation]
	var s stepper.Status
	_ = json.Unmarshal([]byte(raw), &s)
	o.mu.Lock()
	defer o.mu.Unlock()
	if newHold(o.status[d.Name], s) {
		o.holds = append(o.holds, hold{at: now, wait: waitOf(s.Message)})
	}
	o.status[d.Name] = raw
	if d.Spec.Replicas != nil && *d.Spec.Replicas > 0 {
		o.available[d.Name] = d.Status.AvailableReplicas >= *d.Spec.Replicas && d.Status.ObservedGeneration >= d.Generation
	}
	e := rolloutEvent{at: now, generation: d.Generation, observed: d.Status.ObservedGeneration, spec: ptr.Deref(d.Spec.Replicas, 1),
		replicas: d.Status.Replicas, updated: d.Status.UpdatedReplicas, available: d.Status.AvailableReplicas}
	if r := o.rollout[d.Name]; len(r) == 0 || r[len(r)-1].String() != e.String() {
		o.rollout[d.Name] = append(r, e)
	}
	seen := o.phases[d.Name]
	if s.Phase != "" && (len(seen) == 0 || seen[len(seen)-1].phase != s.Phase) {
		o.phases[d.Name] = append(seen, phaseEvent{at: now, phase: s.Phase})
	}
}

func (o *observer) virtualService(obj any) {
	vs, ok := obj.(*networkingv1.VirtualService)
	if !ok {
		return
	}
	now := time.Now()
	name := vs.Annotations[config.RoutesForAnnotation]
	if name == "" {
		name = vs.Name
	}
	w := canaryWeight(vs)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.vsWrites[name] = append(o.vsWrites[name], now)
	seen := o.weights[name]
	if len(seen) == 0 || seen[len(seen)-1].weight != w {
		o.weights[name] = append(seen, weightEvent{at: now, weight: w})
	}
}

// canaryWeight is the largest weight any HTTP route of vs gives the canary
// subset.
func canaryWeight(vs *networkingv1.VirtualService) int32 {
	var w int32
	for _, route := range vs.Spec.GetHttp() {
		for _, dst := range route.GetRoute() {
			if dst.GetDestination().GetSubset() == config.SubsetCanary {
				w = max(w, dst.GetWeight())
			}
		}
	}
	return w
}

// countAvailable counts the canaries whose Deployment has all its replicas
// available.
func (o *observer) countAvailable(names []string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, name := range names {
		if o.available[name] {
			n++
		}
	}
	return n
}

// reached returns, per canary, when its status first entered phase at or
// after since; canaries that have not are missing.
func (o *observer) reached(names []string, phase stepper.Phase, since time.Time) map[string]time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]time.Time{}
	for _, name := range names {
		for _, e := range o.phases[name] {
			if e.phase == phase && !e.at.Before(since) {
				out[name] = e.at
				break
			}
		}
	}
	return out
}

// weightsSince returns the canary weights name's VirtualService took at or
// after since.
func (o *observer) weightsSince(name string, since time.Time) []weightEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []weightEvent
	for _, e := range o.weights[name] {
		if !e.at.Before(since) {
			out = append(out, e)
		}
	}
	return out
}

// vsWritesBetween counts the resourceVersions every VirtualService took in
// [from, to).
func (o *observer) vsWritesBetween(from, to time.Time) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, writes := range o.vsWrites {
		for _, at := range writes {
			if !at.Before(from) && at.Before(to) {
				n++
			}
		}
	}
	return n
}

// statusOf returns the canary's last status annotation.
func (o *observer) statusOf(name string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.status[name]
}

// phaseCounts counts the canaries by the phase their status last said.
func (o *observer) phaseCounts() map[stepper.Phase]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[stepper.Phase]int{}
	for _, seen := range o.phases {
		if len(seen) > 0 {
			out[seen[len(seen)-1].phase]++
		}
	}
	return out
}

// timeline writes, per canary, every phase, canary weight and rollout state seen, in
// seconds from t0, one canary a line.
func (o *observer) timeline(w io.Writer, names []string, t0 time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, name := range names {
		line := name + ":"
		for _, e := range o.phases[name] {
			line += fmt.Sprintf(" %s@%.2f", e.phase, e.at.Sub(t0).Seconds())
		}
		line += " | weights:"
		for _, e := range o.weights[name] {
			line += fmt.Sprintf(" %d@%.2f", e.weight, e.at.Sub(t0).Seconds())
		}
		line += " | rollout:"
		for _, e := range o.rollout[name] {
			line += fmt.Sprintf(" %s@%.2f", e, e.at.Sub(t0).Seconds())
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return fmt.Errorf("writing the timeline: %w", err)
		}
	}
	return nil
}
