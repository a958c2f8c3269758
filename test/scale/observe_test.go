//go:build scale

package scale

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	istioinformers "istio.io/client-go/pkg/informers/externalversions"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// phaseEvent is a phase a canary's status entered and when the benchmark saw it.
type phaseEvent struct {
	at    time.Time
	phase stepper.Phase
}

// weightEvent is a canary weight its VirtualService took and when the
// benchmark saw it, in percent of the route's traffic.
type weightEvent struct {
	at     time.Time
	weight float64
}

// observer watches, as admin, the Deployments, Pods and VirtualServices in
// the namespace (and Flagger's Canaries when asked) and keeps what each
// canary did when. It reads the same objects for every controller under
// test; only where the release status lives differs (status.go).
type observer struct {
	mu        sync.Mutex
	status    map[string]string                 // the last status, as JSON, by canary
	records   map[string]map[config.Slot]string // the last release record on a role swap's slots, by canary and slot
	available map[string]bool
	phases    map[string][]phaseEvent
	weights   map[string][]weightEvent
	vsWrites  map[string][]time.Time // every resourceVersion a VirtualService took
	rollout   map[string][]rolloutEvent
	holds     []hold
	pods      []time.Time // when each Pod was first seen, after the initial list
}

// startObserver starts the watches and returns once their caches are
// synced; with canaries set it also watches Flagger's Canary objects.
func startObserver(ctx context.Context, cfg *rest.Config, canaries bool) (*observer, error) {
	o := newObserver()
	kube, err := kubeClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("the observer's client: %w", err)
	}
	istio, err := istioclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("the observer's Istio client: %w", err)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(namespace))
	watched := map[string]cache.SharedIndexInformer{
		"Deployments":     factory.Apps().V1().Deployments().Informer(),
		"Pods":            factory.Core().V1().Pods().Informer(),
		"VirtualServices": istioinformers.NewSharedInformerFactoryWithOptions(istio, 0, istioinformers.WithNamespace(namespace)).Networking().V1().VirtualServices().Informer(),
	}
	if canaries {
		dyn, err := dynamic.NewForConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("the observer's dynamic client: %w", err)
		}
		watched["Canaries"] = dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, namespace, nil).
			ForResource(flaggerCanaries).Informer()
	}
	updated := func(handle func(any)) cache.ResourceEventHandler {
		return cache.ResourceEventHandlerFuncs{AddFunc: handle, UpdateFunc: func(_, obj any) { handle(obj) }}
	}
	handlers := map[string]cache.ResourceEventHandler{
		"Deployments":     updated(o.deployment),
		"VirtualServices": updated(o.virtualService),
		"Canaries":        updated(o.flaggerCanary),
		// A Pod counts once, when it is added after the initial list.
		"Pods": cache.ResourceEventHandlerDetailedFuncs{AddFunc: func(_ any, initial bool) { o.pod(initial) }},
	}
	var synced []cache.InformerSynced
	for kind, informer := range watched {
		if _, err := informer.AddEventHandler(handlers[kind]); err != nil {
			return nil, fmt.Errorf("watching %s: %w", kind, err)
		}
		go informer.RunWithContext(ctx)
		synced = append(synced, informer.HasSynced)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil, fmt.Errorf("syncing the benchmark's watches: %w", ctx.Err())
	}
	return o, nil
}

// newObserver returns an observer that has seen nothing yet.
func newObserver() *observer {
	return &observer{
		status: map[string]string{}, records: map[string]map[config.Slot]string{}, available: map[string]bool{},
		phases: map[string][]phaseEvent{}, weights: map[string][]weightEvent{}, vsWrites: map[string][]time.Time{},
		rollout: map[string][]rolloutEvent{},
	}
}

func (o *observer) deployment(obj any) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return
	}
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if d.Spec.Replicas != nil && *d.Spec.Replicas > 0 {
		o.available[d.Name] = d.Status.AvailableReplicas >= *d.Spec.Replicas && d.Status.UpdatedReplicas >= *d.Spec.Replicas &&
			d.Status.ObservedGeneration >= d.Generation
	}
	e := rolloutEvent{at: now, generation: d.Generation, observed: d.Status.ObservedGeneration, spec: ptr.Deref(d.Spec.Replicas, 1),
		replicas: d.Status.Replicas, updated: d.Status.UpdatedReplicas, available: d.Status.AvailableReplicas}
	if r := o.rollout[d.Name]; len(r) == 0 || r[len(r)-1].String() != e.String() {
		o.rollout[d.Name] = append(r, e)
	}
	if name, slot, raw, ok := meshcanaryRecord(obj); ok {
		o.meshcanaryRecord(name, slot, raw, now)
	}
}

// meshcanaryRecord records raw, the release record seen on slot of the
// canary name, and the phase it makes the canary's (meshcanaryPhase): a
// release of a Deployment promoted by role swap starts on the canary's
// slot, before its home's status says Progressing. Nothing is recorded
// before the home's status is seen: the record is read against it. The
// caller holds o.mu.
func (o *observer) meshcanaryRecord(name string, slot config.Slot, raw string, now time.Time) {
	if o.records[name] == nil {
		o.records[name] = map[config.Slot]string{}
	}
	o.records[name][slot] = raw
	home, ok := o.status[name]
	if !ok {
		return
	}
	var s stepper.Status
	_ = json.Unmarshal([]byte(home), &s)
	o.recordPhase(name, meshcanaryPhase(s, o.records[name]), now)
}

// meshcanaryStatus records the release status meshcanary published on obj,
// if it carries one, and the phase it makes the canary's together with the
// records on its slots (meshcanaryPhase). The caller holds o.mu.
func (o *observer) meshcanaryStatus(obj any, now time.Time) {
	name, raw, ok := meshcanaryStatus(obj)
	if !ok {
		return
	}
	var s stepper.Status
	_ = json.Unmarshal([]byte(raw), &s)
	if newHold(o.status[name], s) {
		o.holds = append(o.holds, hold{at: now, wait: waitOf(s.Message)})
	}
	o.status[name] = raw
	o.recordPhase(name, meshcanaryPhase(s, o.records[name]), now)
}

// flaggerCanary records the phase of a Flagger Canary's status.
func (o *observer) flaggerCanary(obj any) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	now := time.Now()
	status, _, _ := unstructured.NestedMap(u.Object, "status")
	raw, _ := json.Marshal(status)
	phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
	o.mu.Lock()
	defer o.mu.Unlock()
	o.status[u.GetName()] = string(raw)
	o.recordPhase(u.GetName(), flaggerPhase(phase), now)
}

// recordPhase appends phase to the canary's phases when it changed. The
// caller holds o.mu.
func (o *observer) recordPhase(name string, phase stepper.Phase, now time.Time) {
	seen := o.phases[name]
	if phase != "" && (len(seen) == 0 || seen[len(seen)-1].phase != phase) {
		o.phases[name] = append(seen, phaseEvent{at: now, phase: phase})
	}
}

// pod records a Pod created after the watch began.
func (o *observer) pod(initial bool) {
	if initial {
		return
	}
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pods = append(o.pods, now)
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
	o.meshcanaryStatus(obj, now)
	o.vsWrites[name] = append(o.vsWrites[name], now)
	seen := o.weights[name]
	if len(seen) == 0 || seen[len(seen)-1].weight != w {
		o.weights[name] = append(seen, weightEvent{at: now, weight: w})
	}
}

// canaryWeight is the largest share, in percent, that any HTTP route of vs
// gives the canary: meshcanary's canary subset, or Flagger's
// <name>-canary host. For a Deployment promoted by role swap it is the
// subset of the slot that is not the primary's in the status this same
// version of vs carries, so the write that swaps the roles (all traffic to
// the former canary's slot, now the primary) reads 0.
func canaryWeight(vs *networkingv1.VirtualService) float64 {
	isCanary := func(d *apinetworkingv1.Destination) bool {
		return d.GetSubset() == config.SubsetCanary || d.GetHost() == vs.Name+"-canary"
	}
	if s, ok, _ := stepper.DecodeStatus(vs.Annotations); ok && s.PrimarySlot != "" {
		subset := s.PrimarySlot.Other().Subset()
		isCanary = func(d *apinetworkingv1.Destination) bool { return d.GetSubset() == subset }
	}
	var share float64
	for _, route := range vs.Spec.GetHttp() {
		var total, canary int32
		for _, dst := range route.GetRoute() {
			total += dst.GetWeight()
			if isCanary(dst.GetDestination()) {
				canary += dst.GetWeight()
			}
		}
		if total > 0 {
			share = max(share, 100*float64(canary)/float64(total))
		}
	}
	return share
}

// podsCreatedBetween counts the Pods first seen in [from, to).
func (o *observer) podsCreatedBetween(from, to time.Time) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, at := range o.pods {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
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

// primarySlot is the slot the canary's last status says runs the primary:
// "" unless the canary is promoted by role swap. The caller holds o.mu.
func (o *observer) primarySlot(name string) config.Slot {
	s, _, _ := stepper.ParseStatus(o.status[name])
	return s.PrimarySlot
}

// timeline writes, per canary, every phase, canary weight and rollout state
// (its primary's or its slots' too) seen, in seconds from t0, one canary a
// line.
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
			line += fmt.Sprintf(" %g@%.2f", e.weight, e.at.Sub(t0).Seconds())
		}
		rollout := func(label string, events []rolloutEvent) {
			line += " | " + label + ":"
			for _, e := range events {
				line += fmt.Sprintf(" %s@%.2f", e, e.at.Sub(t0).Seconds())
			}
		}
		rollout("rollout", o.rollout[name])
		if primary := o.rollout[name+"-primary"]; len(primary) > 0 {
			rollout("primary", primary)
		}
		for _, slot := range []config.Slot{config.SlotA, config.SlotB} {
			if events := o.rollout[config.SlotName(name, slot)]; len(events) > 0 {
				rollout("slot "+string(slot), events)
			}
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return fmt.Errorf("writing the timeline: %w", err)
		}
	}
	return nil
}

func TestCanaryWeight(t *testing.T) {
	dst := func(host, subset string, weight int32) *apinetworkingv1.HTTPRouteDestination {
		return &apinetworkingv1.HTTPRouteDestination{Destination: &apinetworkingv1.Destination{Host: host, Subset: subset}, Weight: weight}
	}
	vs := func(status string, routes ...[]*apinetworkingv1.HTTPRouteDestination) *networkingv1.VirtualService {
		v := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "app-000",
			Annotations: map[string]string{config.RoutesForAnnotation: "app-000"}}}
		if status != "" {
			v.Annotations[config.StatusAnnotation] = status
		}
		for _, r := range routes {
			v.Spec.Http = append(v.Spec.Http, &apinetworkingv1.HTTPRoute{Route: r})
		}
		return v
	}
	slotA, slotB := config.SlotA.Subset(), config.SlotB.Subset()
	tests := map[string]struct {
		vs   *networkingv1.VirtualService
		want float64
	}{
		"a rollout's canary subset": {
			vs:   vs(`{"phase":"Progressing","weight":20}`, []*apinetworkingv1.HTTPRouteDestination{dst("app-000", config.SubsetPrimary, 80), dst("app-000", config.SubsetCanary, 20)}),
			want: 20,
		},
		"a rollout's primary alone": {
			vs: vs(`{"phase":"Succeeded"}`, []*apinetworkingv1.HTTPRouteDestination{dst("app-000", config.SubsetPrimary, 100)}),
		},
		"Flagger's canary host, without a status": {
			vs:   vs("", []*apinetworkingv1.HTTPRouteDestination{dst("app-000-primary", "", 70), dst("app-000-canary", "", 30)}),
			want: 30,
		},
		"the largest share of any route": {
			vs: vs("", []*apinetworkingv1.HTTPRouteDestination{dst("app-000", config.SubsetPrimary, 90), dst("app-000", config.SubsetCanary, 10)},
				[]*apinetworkingv1.HTTPRouteDestination{dst("app-000", config.SubsetCanary, 100)}),
			want: 100,
		},
		"role swap, slot a primary: slot b is the canary": {
			vs:   vs(`{"phase":"Progressing","primarySlot":"a"}`, []*apinetworkingv1.HTTPRouteDestination{dst("app-000", slotA, 70), dst("app-000", slotB, 30)}),
			want: 30,
		},
		"role swap, slot b primary: slot a is the canary": {
			vs:   vs(`{"phase":"Progressing","primarySlot":"b"}`, []*apinetworkingv1.HTTPRouteDestination{dst("app-000", slotB, 60), dst("app-000", slotA, 40)}),
			want: 40,
		},
		"the swap: all traffic to the former canary's slot, the primary's now, reads 0": {
			vs: vs(`{"phase":"Succeeded","primarySlot":"b"}`, []*apinetworkingv1.HTTPRouteDestination{dst("app-000", slotB, 100)}),
		},
		"the write before the swap, 50 % to slot b, reads 50": {
			vs:   vs(`{"phase":"Progressing","primarySlot":"a"}`, []*apinetworkingv1.HTTPRouteDestination{dst("app-000", slotA, 50), dst("app-000", slotB, 50)}),
			want: 50,
		},
		"role swap ignores the rollout's subset names": {
			vs: vs(`{"phase":"Ready","primarySlot":"a"}`, []*apinetworkingv1.HTTPRouteDestination{dst("app-000", slotA, 90), dst("app-000", config.SubsetCanary, 10)}),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := canaryWeight(tc.vs); got != tc.want {
				t.Errorf("canaryWeight = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestObserverCountsARoleSwapProgressingFromTheRecordOnTheCanarySlot(t *testing.T) {
	adopted := time.Now().Add(-time.Hour)
	status := func(s stepper.Status) string {
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	home := func(s stepper.Status) *networkingv1.VirtualService {
		return &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "app-000",
			Annotations: map[string]string{config.RoutesForAnnotation: "app-000", config.StatusAnnotation: status(s)}}}
	}
	deployment := func(name string, record *stepper.Status) *appsv1.Deployment {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{},
			Labels: map[string]string{config.PrimaryOfLabel: "app-000"}}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1)}}
		if record != nil {
			d.Annotations[config.ReleaseAnnotation] = status(*record)
		}
		return d
	}
	start := func(primary config.Slot, at time.Time) *stepper.Status {
		return &stepper.Status{Phase: stepper.PhaseProgressing, PrimarySlot: primary, Steps: 5, Total: 100, TransitionTime: at}
	}
	// replay feeds events to a fresh observer, one a millisecond apart, and
	// returns the phases it records for app-000, with the index of the
	// event that recorded each, and the index of the event at which
	// reached, as the reaction reads it, says it turned Progressing (-1:
	// never).
	replay := func(events ...any) (phases []stepper.Phase, at []int, progressing int) {
		o := newObserver()
		var marks []time.Time
		for _, e := range events {
			marks = append(marks, time.Now())
			switch obj := e.(type) {
			case *networkingv1.VirtualService:
				o.virtualService(obj)
			case *appsv1.Deployment:
				o.deployment(obj)
			}
			time.Sleep(time.Millisecond)
		}
		index := func(t time.Time) int {
			i := len(marks) - 1
			for i > 0 && t.Before(marks[i]) {
				i--
			}
			return i
		}
		for _, p := range o.phases["app-000"] {
			phases = append(phases, p.phase)
			at = append(at, index(p.at))
		}
		progressing = -1
		if t, ok := o.reached([]string{"app-000"}, stepper.PhaseProgressing, marks[0])["app-000"]; ok {
			progressing = index(t)
		}
		return phases, at, progressing
	}

	idleA := stepper.Status{Phase: stepper.PhaseSucceeded, PrimarySlot: config.SlotA, Steps: 5, Total: 100, TransitionTime: adopted}
	step1 := stepper.Status{Phase: stepper.PhaseProgressing, PrimarySlot: config.SlotA, Step: 1, Steps: 5, Weight: 10, Total: 100,
		TransitionTime: time.Now()}
	done := stepper.Status{Phase: stepper.PhaseSucceeded, PrimarySlot: config.SlotB, Step: 5, Steps: 5, Total: 100,
		TransitionTime: time.Now().Add(time.Minute)}
	idleRollout := idleA
	idleRollout.PrimarySlot = ""
	step1Rollout := step1
	step1Rollout.PrimarySlot = ""
	tests := map[string]struct {
		events     []any
		wantPhases []stepper.Phase
		wantAt     []int
	}{
		"role swap: the start on the canary's slot is Progressing before the home says so, and stays so": {
			events: []any{
				home(idleA),
				deployment("app-000-slot-a", nil),
				deployment("app-000-slot-b", start(config.SlotA, time.Now())), // the start: step 0 on slot b
				home(idleA), // another write of the home, still idle: no Succeeded in between
				home(step1), // step 1: the home holds the release
				deployment("app-000-slot-b", start(config.SlotA, time.Now())), // slot b's rollout goes on
				home(done), // promoted: slot b is the primary, the record on it is the last release's
				deployment("app-000-slot-a", nil),
			},
			wantPhases: []stepper.Phase{stepper.PhaseSucceeded, stepper.PhaseProgressing, stepper.PhaseSucceeded},
			wantAt:     []int{0, 2, 6},
		},
		"role swap: the home's Progressing counts when the slot's event comes later": {
			events: []any{
				home(idleA),
				home(step1),
				deployment("app-000-slot-b", start(config.SlotA, time.Now())),
			},
			wantPhases: []stepper.Phase{stepper.PhaseSucceeded, stepper.PhaseProgressing},
			wantAt:     []int{0, 1},
		},
		"role swap: a record older than the home's transition is not a start": {
			events: []any{
				home(idleA),
				deployment("app-000-slot-b", start(config.SlotA, adopted.Add(-time.Minute))),
			},
			wantPhases: []stepper.Phase{stepper.PhaseSucceeded},
			wantAt:     []int{0},
		},
		"role swap: a record seen before the home's status counts once the home is seen": {
			events: []any{
				deployment("app-000-slot-b", start(config.SlotA, time.Now())),
				home(idleA),
			},
			wantPhases: []stepper.Phase{stepper.PhaseProgressing},
			wantAt:     []int{1},
		},
		"rollout: only the home's status counts": {
			events: []any{
				home(idleRollout),
				deployment("app-000-primary", start("", time.Now())),
				deployment("app-000-slot-b", start("", time.Now())),
				home(step1Rollout),
			},
			wantPhases: []stepper.Phase{stepper.PhaseSucceeded, stepper.PhaseProgressing},
			wantAt:     []int{0, 3},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			phases, at, progressing := replay(tc.events...)
			if diff := gocmp.Diff(tc.wantPhases, phases); diff != "" {
				t.Errorf("phases (-want +got):\n%s", diff)
			}
			if diff := gocmp.Diff(tc.wantAt, at); diff != "" {
				t.Errorf("the events that recorded them (-want +got):\n%s", diff)
			}
			want := -1
			for i, p := range tc.wantPhases {
				if p == stepper.PhaseProgressing {
					want = tc.wantAt[i]
					break
				}
			}
			if progressing != want {
				t.Errorf("reached Progressing at event %d, want %d", progressing, want)
			}
		})
	}
}
