//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// swapReleaseWrites is what one promoted release of 5 steps without gates
// costs in API writes with meshcanary.io/promotion: swap, exactly, Events
// apart, from the second release on: 6 of the home VirtualService (the 5
// steps, the swap: all traffic to the canary's slot, the primary slot
// flipped and Succeeded in one write) and 2 of Deployments (the canary
// slot's template and replicas with the release's start in its release
// record, in one write; the former primary slot's scale-down after the
// delay). The user's Deployment,
// which only holds the template, and the DestinationRule, whose slot
// subsets are static, are not written.
var swapReleaseWrites = cluster.Counts{
	{Verb: "update", Resource: "virtualservices"}: 6,
	{Verb: "update", Resource: "deployments"}:     2,
}

// swapFirstReleaseWrites is swapReleaseWrites for the very first release,
// whose canary slot (b) does not exist yet: it is created with the
// release's template and the primary's count.
var swapFirstReleaseWrites = cluster.Counts{
	{Verb: "update", Resource: "virtualservices"}: 6,
	{Verb: "create", Resource: "deployments"}:     1,
	{Verb: "update", Resource: "deployments"}:     1,
}

// TestSwapReleaseWritesAndTheUserDeployment adopts an app promoted by role
// swap and releases it twice, in 5 steps of 2s without gates, watched by a
// controller of its own reached only through a counting proxy. Adoption
// puts the primary in slot a and idles the user's Deployment; each release
// runs the canary in the other slot and swaps the roles at its end, so the
// status's primary slot goes a→b→a. The second release is counted
// exactly: swapReleaseWrites (the first: swapFirstReleaseWrites); every
// change of the canary weight (relative to the slots the status of each
// VirtualService version names) in exactly one write, the swap being the
// move to 0; the user's Deployment not written at all (its generation
// unchanged, its replicas 0); at the end slot a runs the second release's
// template at the primary's count and slot b is at 0; the DestinationRule
// has the two slot subsets and no primary or canary subset. It runs alone:
// it stops the shared controller while its own runs.
func TestSwapReleaseWritesAndTheUserDeployment(t *testing.T) {
	shared := env.controller
	shared.Stop()
	t.Cleanup(func() { must(t, "restarting the shared controller", shared.Start()) })

	const ns = "swap-writes"
	ctrl, proxy := startBehindProxy(t, "e2e-"+ns, "e2e-"+ns)
	k := &cuttableController{t: t, ctrl: ctrl, proxy: proxy}
	slots := watchSlots(t, "e2e-"+ns)
	a := newApp(t, ns).Steps("10,20,30,40,50").StepInterval("2s").Set(config.KeyScaleDownDelay, "1s").
		Set(config.KeyPromotion, string(config.PromotionSwap)).Rate(10).Controllers(ctrl).Create()

	adopted, _ := a.status()
	if adopted.PrimarySlot != config.SlotA {
		t.Fatalf("after adoption the status's primary slot is %q, want %q (status %+v)", adopted.PrimarySlot, config.SlotA, adopted)
	}
	a.eventually("slot a to run the adopted revision, available, and the user's Deployment to be idled", func() error {
		if err := a.slotRunsErr(config.SlotA, a.Revision, a.replicas); err != nil {
			return err
		}
		return a.replicasErr(0)
	})
	if d := a.deployment(slotName(config.SlotB)); d != nil {
		t.Errorf("slot b's Deployment exists before the first release (revision %q, %d replicas)",
			d.Annotations[config.RevisionAnnotation], ptr.Deref(d.Spec.Replicas, 1))
	}
	if a.deployment(primaryName) != nil {
		t.Errorf("a rollout's primary %s exists for an app promoted by role swap", primaryName)
	}

	// The first release: slot b is created for the canary.
	k.settle()
	before := len(proxy.WriteLog())
	releasesSeen := len(a.rec.vsHistory(appName))
	rev1 := a.SetImage("example.com/web:swap-1")
	s1 := a.waitPhase(rev1, stepper.PhaseSucceeded)
	if s1.PrimarySlot != config.SlotB {
		t.Errorf("after the first release the status's primary slot is %q, want %q", s1.PrimarySlot, config.SlotB)
	}
	a.eventually("slot a, the former primary, to be scaled to 0 after the first release", func() error {
		return a.slotReplicasErr(config.SlotA, 0)
	})
	k.settle()
	first, conflicts := writesSince(proxy, before)
	t.Logf("first release: %d writes (Events apart: %s), %d refused with a conflict", first.Sum(cluster.WriteVerbs), first, conflicts)
	if !maps.Equal(first, swapFirstReleaseWrites) {
		t.Errorf("first release: writes %s, want exactly %s", first, swapFirstReleaseWrites)
	}

	// The second release, counted: slot a, idle, takes the canary.
	before = len(proxy.WriteLog())
	vsSeen := len(a.rec.vsHistory(appName))
	changed := a.update(func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "example.com/web:swap-2" })
	rev2 := workload.Revision(&changed.Spec.Template)
	s2 := a.waitPhase(rev2, stepper.PhaseSucceeded)
	swapped := time.Now()
	a.eventually("slot b, the former primary, to be scaled to 0 after the second release", func() error {
		return a.slotReplicasErr(config.SlotB, 0)
	})
	k.settle()
	writes, conflicts := writesSince(proxy, before)
	user := a.deployment(appName)
	bumps := user.Generation - changed.Generation
	target := istio.Target{Namespace: a.ns, Service: appName, Deployment: appName}
	// From the version before the release: the start writes no
	// VirtualService (it is recorded on the canary's slot), so the first
	// weight's change is relative to the idle routes.
	versions := a.rec.vsHistory(appName)[vsSeen-1:]
	t.Logf("second release: %d writes (Events apart: %s), %d refused with a conflict, %d generation bumps of the user's Deployment; VirtualService versions: %s",
		writes.Sum(cluster.WriteVerbs), writes, conflicts, bumps, describeVersions(versions, target))
	if !maps.Equal(writes, swapReleaseWrites) {
		t.Errorf("second release: writes %s, want exactly %s", writes, swapReleaseWrites)
	}

	if s2.PrimarySlot != config.SlotA || s2.StableRevision != rev2 {
		t.Errorf("after the second release the status's primary slot is %q and its stable revision %s, want %q and %s",
			s2.PrimarySlot, s2.StableRevision, config.SlotA, rev2)
	}
	if got, want := primarySlots(a.rec.statusHistory()), []config.Slot{config.SlotA, config.SlotB, config.SlotA}; !slices.Equal(got, want) {
		t.Errorf("the status's primary slot went %v, want %v", got, want)
	}
	weights, splits := weightChanges(versions, target)
	if want := []int32{10, 20, 30, 40, 50, 0}; !slices.Equal(weights, want) || splits > 0 {
		t.Errorf("canary weights %v with %d changes of the routes that left the weight alone, want %v each in one write (0: the swap)",
			weights, splits, want)
	}

	if bumps != 0 {
		t.Errorf("the controller changed the user's Deployment's generation %d times during the second release, want 0", bumps)
	}
	if got := ptr.Deref(user.Spec.Replicas, 1); got != 0 {
		t.Errorf("the user's Deployment wants %d replicas after the second release, want 0", got)
	}
	if _, ok := user.Annotations[config.StatusAnnotation]; ok {
		t.Errorf("the user's Deployment carries a status annotation")
	}
	if err := a.slotRunsErr(config.SlotA, rev2, a.replicas); err != nil {
		t.Errorf("after the second release: %v", err)
	}
	if d := a.deployment(slotName(config.SlotA)); d != nil {
		if got := d.Spec.Template.Spec.Containers[0].Image; got != "example.com/web:swap-2" {
			t.Errorf("slot a runs image %q after the second release, want example.com/web:swap-2", got)
		}
	}
	if err := a.slotReplicasErr(config.SlotB, 0); err != nil {
		t.Errorf("after the second release: %v", err)
	}
	if err := a.slotSubsetsErr(); err != nil {
		t.Error(err)
	}
	if err := slots.servedErr(a.rec.vsHistory(appName)[releasesSeen:], target, a.replicas); err != nil {
		t.Errorf("a slot got weight before it was ready for it: %v", err)
	}
	if err := shareError(a.trafficSince(swapped), slotName(config.SlotA), 1); err != nil {
		t.Errorf("after the second release's swap: %v", err)
	}
}

// TestSwapRejectedReleaseLeavesThePrimarySlot releases an app promoted by
// role swap twice: the first release is promoted (slot b is the primary),
// the second is rejected by a webhook gate from step 2. The rejected
// release ends Failed without ever reaching Promoting or Succeeded; every
// status of it names slot b as the primary; slot b still runs the first
// release, at the primary's count, and takes all traffic again; slot a,
// which ran the rejected canary, is scaled back to 0; the user's
// Deployment is not written. It runs alone: it stops the shared controller
// while its own runs.
func TestSwapRejectedReleaseLeavesThePrimarySlot(t *testing.T) {
	gate := startStepGate(t)
	shared := env.controller
	shared.Stop()
	t.Cleanup(func() { must(t, "restarting the shared controller", shared.Start()) })

	const ns = "swap-rollback"
	k := startCuttableController(t, gate.server.URL, "e2e-"+ns)
	slots := watchSlots(t, "e2e-"+ns)
	a := newApp(t, ns).Steps("20,60").StepInterval("2s").Set(config.KeyScaleDownDelay, "1s").
		Set(config.KeyMaxFailedChecks, "1").Set("gate.webhook.step", gate.server.URL+"/step").
		Set(config.KeyPromotion, string(config.PromotionSwap)).Controllers(k.ctrl).Create()

	releasesSeen := len(a.rec.vsHistory(appName))
	rev1 := a.SetImage("example.com/web:swap-good")
	if s := a.waitPhase(rev1, stepper.PhaseSucceeded); s.PrimarySlot != config.SlotB {
		t.Fatalf("after the first release the status's primary slot is %q, want %q", s.PrimarySlot, config.SlotB)
	}
	a.eventually("slot a to be scaled to 0 after the first release", func() error { return a.slotReplicasErr(config.SlotA, 0) })

	k.settle()
	before := len(k.proxy.WriteLog())
	vsSeen := len(a.rec.vsHistory(appName))
	// The gate must know the revision before the release reaches step 1.
	changed := a.update(func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = "example.com/web:swap-bad"
		gate.set(workload.Revision(&d.Spec.Template), releaseKind{reject: true})
	})
	rev2 := workload.Revision(&changed.Spec.Template)
	final := a.waitPhase(rev2, stepper.PhaseFailed)
	t.Logf("the rejected release ended %s (%s: %s)", final.Phase, final.Reason, final.Message)

	decidedAt := time.Time{}
	for _, v := range a.rec.statusHistory() {
		s := v.Status
		if s.Revision != rev2 {
			continue
		}
		if s.Phase == stepper.PhasePromoting || s.Phase == stepper.PhaseSucceeded {
			t.Errorf("the rejected release reached %s: %s", s.Phase, s.Message)
		}
		if s.PrimarySlot != config.SlotB {
			t.Errorf("a status of the rejected release names slot %q as the primary's, want %q: %s %s", s.PrimarySlot, config.SlotB, s.Phase, s.Message)
		}
		if decidedAt.IsZero() && (s.Phase == stepper.PhaseRollingBack || s.Phase == stepper.PhaseFailed) {
			decidedAt = v.At
		}
	}
	if final.StableRevision != rev1 {
		t.Errorf("after the rollback the status's stable revision is %s, want %s", final.StableRevision, rev1)
	}
	a.eventually("the routes after the rollback to send everything to slot b", func() error {
		vs := a.virtualService(appName)
		if vs == nil {
			return errors.New("the VirtualService does not exist")
		}
		if got := describeRoute(vs.Spec.Http[0].Route); got != config.SlotB.Subset() {
			return fmt.Errorf("route %q, want %s alone", got, config.SlotB.Subset())
		}
		return nil
	})
	rolledBack := time.Now()
	a.eventually("slot a, the rejected canary's, to be scaled back to 0", func() error { return a.slotReplicasErr(config.SlotA, 0) })
	if err := a.slotRunsErr(config.SlotB, rev1, a.replicas); err != nil {
		t.Errorf("after the rollback: %v", err)
	}
	k.settle()
	target := istio.Target{Namespace: a.ns, Service: appName, Deployment: appName}
	writes, conflicts := writesSince(k.proxy, before)
	t.Logf("rejected release: %d writes (Events apart: %s), %d refused with a conflict; VirtualService versions: %s",
		writes.Sum(cluster.WriteVerbs), writes, conflicts, describeVersions(a.rec.vsHistory(appName)[vsSeen:], target))
	// Slot a's template and replicas with the start, its scale-down, and
	// only VirtualService writes besides: steps 1 and 2, the
	// rollback (weight 0 and RollingBack in one write), maybe Failed, and
	// the statuses that record the gate's verdicts.
	others := maps.Clone(writes)
	delete(others, cluster.Request{Verb: "update", Resource: "virtualservices"})
	if want := (cluster.Counts{{Verb: "update", Resource: "deployments"}: 2}); !maps.Equal(others, want) {
		t.Errorf("rejected release: writes %s, want exactly %s besides the VirtualService's", writes, want)
	}
	// From the version before the release: the start writes no
	// VirtualService (it is recorded on the canary's slot), so the first
	// weight's change is relative to the idle routes.
	versions := a.rec.vsHistory(appName)[vsSeen-1:]
	if weights, splits := weightChanges(versions, target); !slices.Equal(weights, []int32{20, 60, 0}) || splits > 0 {
		t.Errorf("rejected release: canary weights %v with %d changes of the routes that left the weight alone, want [20 60 0] each in one write",
			weights, splits)
	}
	for i, v := range versions {
		if i == 0 || v.VS == nil || versions[i-1].VS == nil {
			continue
		}
		_, w := istio.ObserveRouting(v.VS, withStatusSlot(v.VS, target))
		if _, prev := istio.ObserveRouting(versions[i-1].VS, withStatusSlot(versions[i-1].VS, target)); w == 0 && prev > 0 {
			if s, _, _ := stepper.DecodeStatus(v.VS.Annotations); s.Phase != stepper.PhaseRollingBack && s.Phase != stepper.PhaseFailed {
				t.Errorf("rejected release: the write that took the canary's weight away says %s, want %s (or %s)", s.Phase, stepper.PhaseRollingBack, stepper.PhaseFailed)
			}
		}
	}

	var weights, after []int32
	for _, v := range a.rec.vsHistory(appName)[vsSeen:] {
		if v.VS == nil {
			continue
		}
		_, w := istio.ObserveRouting(v.VS, withStatusSlot(v.VS, target))
		weights = append(weights, w)
		if !decidedAt.IsZero() && v.At.After(decidedAt) {
			after = append(after, w)
		}
	}
	t.Logf("canary weights of the rejected release: %v", slices.Compact(weights))
	if len(after) > 0 && slices.Max(after) > 0 {
		t.Errorf("the canary got weight after the rollback was decided: %v (all weights %v)", after, weights)
	}
	if msg := weightRegression(weights); msg != "" {
		t.Error(msg)
	}
	if len(weights) == 0 || weights[len(weights)-1] != 0 {
		t.Errorf("canary weights %v, want them to end at 0", weights)
	}

	user := a.deployment(appName)
	if bumps := user.Generation - changed.Generation; bumps != 0 {
		t.Errorf("the controller changed the user's Deployment's generation %d times during the rejected release, want 0", bumps)
	}
	if got := ptr.Deref(user.Spec.Replicas, 1); got != 0 {
		t.Errorf("the user's Deployment wants %d replicas after the rollback, want 0", got)
	}
	if err := a.slotSubsetsErr(); err != nil {
		t.Error(err)
	}
	if err := slots.servedErr(a.rec.vsHistory(appName)[releasesSeen:], target, a.replicas); err != nil {
		t.Errorf("a slot got weight before it was ready for it: %v", err)
	}
	if err := shareError(a.trafficSince(rolledBack), slotName(config.SlotB), 1); err != nil {
		t.Errorf("after the rollback: %v", err)
	}
}

// TestSwapOptOutHandsTrafficBack removes the label from an app promoted by
// role swap, at rest after a release (slot b is the primary): the user's
// Deployment is scaled back to the primary's count and serves again, the
// user's VirtualService routes to the plain service host exactly as the
// user wrote it, meshcanary's DestinationRule (the slot subsets), status
// and both slot Deployments are gone, and no request was answered 503 on
// the way.
func TestSwapOptOutHandsTrafficBack(t *testing.T) {
	t.Parallel()
	vs := plainUserRoutes()
	a := newApp(t, "swap-opt-out").Steps("50").StepInterval("5s").Set(config.KeyScaleDownDelay, "1s").
		Set(config.KeyPromotion, string(config.PromotionSwap)).Routes(vs.DeepCopy(), nil).Create()
	rev := a.SetImage("example.com/web:v2")
	if s := a.waitPhase(rev, stepper.PhaseSucceeded); s.PrimarySlot != config.SlotB {
		t.Fatalf("after the release the status's primary slot is %q, want %q", s.PrimarySlot, config.SlotB)
	}
	a.eventually("slot a to be scaled to 0 after the release", func() error { return a.slotReplicasErr(config.SlotA, 0) })
	if err := a.slotSubsetsErr(); err != nil {
		t.Error(err)
	}

	a.setOptedIn(false)
	a.eventually("the opt-out to finish", func() error {
		for _, s := range []config.Slot{config.SlotA, config.SlotB} {
			if a.deployment(slotName(s)) != nil {
				return fmt.Errorf("slot %s's Deployment still exists", s)
			}
		}
		return a.routingGoneErr()
	})
	handedBack := time.Now()
	a.eventually("the user's Deployment to be handed back", func() error { return a.optOutErr(rev) })
	a.checkHandedBack(vs, "example.com/web:v2")
	// The user's replicas changed only at adoption (to 0) and at the
	// opt-out (back to the primary's count).
	var counts []int32
	for _, r := range a.rec.replicasHistory() {
		counts = append(counts, r.Replicas)
	}
	if want := []int32{a.replicas, 0, a.replicas}; !slices.Equal(counts, want) {
		t.Errorf("the user's Deployment's replicas went %v, want %v", counts, want)
	}

	if err := shareError(a.trafficSince(handedBack), appName, 1); err != nil {
		t.Errorf("after the opt-out: %v", err)
	}
	if n := env.sim.Counts(a.ns, appName).Codes[503]; n > 0 {
		t.Errorf("%d requests were answered 503", n)
	}
}

// slotName is the Deployment of the app's slot s (meshcanary.io/promotion: swap).
func slotName(s config.Slot) string { return config.SlotName(appName, s) }

// withStatusSlot is t for the routes of vs: with the primary's slot the
// status vs carries names, if any (the slots of a promotion by role swap;
// a rollout's status names none).
func withStatusSlot(vs *networkingv1.VirtualService, t istio.Target) istio.Target {
	if s, ok, _ := stepper.DecodeStatus(vs.Annotations); ok {
		t.Slot = s.PrimarySlot
	}
	return t
}

// primarySlots lists the primary's slots the statuses named, in order,
// each change once ("" statuses left out).
func primarySlots(statuses []statusVersion) []config.Slot {
	var out []config.Slot
	for _, s := range statuses {
		if s.Status.PrimarySlot != "" {
			out = append(out, s.Status.PrimarySlot)
		}
	}
	return slices.Compact(out)
}

// slotReplicasErr says why the Deployment of slot s does not exist or does
// not want n replicas; nil when it does.
func (a *app) slotReplicasErr(s config.Slot, n int32) error {
	d := a.deployment(slotName(s))
	if d == nil {
		return fmt.Errorf("slot %s's Deployment %s does not exist", s, slotName(s))
	}
	if got := ptr.Deref(d.Spec.Replicas, 1); got != n {
		return fmt.Errorf("slot %s's Deployment %s wants %d replicas, want %d", s, d.Name, got, n)
	}
	return nil
}

// slotRunsErr says why the Deployment of slot s does not run revision rev
// with n replicas, available, its pods labelled with the slot; nil when it
// does.
func (a *app) slotRunsErr(s config.Slot, rev string, n int32) error {
	if err := a.slotReplicasErr(s, n); err != nil {
		return err
	}
	d := a.deployment(slotName(s))
	if got := d.Annotations[config.RevisionAnnotation]; got != rev {
		return fmt.Errorf("slot %s's Deployment %s runs revision %q, want %s", s, d.Name, got, rev)
	}
	if got := d.Spec.Template.Labels[config.SlotLabel]; got != string(s) {
		return fmt.Errorf("slot %s's pods are labelled %s=%q", s, config.SlotLabel, got)
	}
	return availableErr(d)
}

// slotSubsetsErr says why meshcanary's DestinationRule does not have
// exactly the two slot subsets, each selecting its slot's pods; nil when
// it does.
func (a *app) slotSubsetsErr() error {
	dr := a.destinationRule(appName)
	if dr == nil {
		return errors.New("meshcanary's DestinationRule does not exist")
	}
	var names []string
	for _, sub := range dr.Spec.Subsets {
		names = append(names, sub.Name)
	}
	slices.Sort(names)
	if want := []string{config.SlotA.Subset(), config.SlotB.Subset()}; !slices.Equal(names, want) {
		return fmt.Errorf("the DestinationRule's subsets are %v, want %v (no %s or %s)", names, want, config.SubsetPrimary, config.SubsetCanary)
	}
	for _, sub := range dr.Spec.Subsets {
		if want := sub.Name[len("slot-"):]; sub.Labels[config.SlotLabel] != want {
			return fmt.Errorf("subset %s selects %v, want %s=%s", sub.Name, sub.Labels, config.SlotLabel, want)
		}
	}
	return nil
}

// writesSince counts the writes of p's log from index from on, Events
// apart, by verb and resource; those the API server refused with a
// conflict changed nothing and are counted apart.
func writesSince(p *cluster.Proxy, from int) (writes cluster.Counts, conflicts int) {
	writes = cluster.Counts{}
	for _, w := range p.WriteLog()[from:] {
		switch {
		case w.Resource == "events":
		case w.Code == http.StatusConflict:
			conflicts++
		default:
			writes[w.Request]++
		}
	}
	return writes, conflicts
}

// slotWatch records every version of the slot Deployments of an app's
// namespace, to tell what each slot ran when a VirtualService version was
// written (see servedErr).
type slotWatch struct {
	mu       sync.Mutex
	versions []*appsv1.Deployment
	seen     []time.Time // when each version was seen
}

// watchSlots records every version of the Deployments of both slots in
// namespace ns until the end of the test.
func watchSlots(t *testing.T, ns string) *slotWatch {
	t.Helper()
	w := &slotWatch{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := informers.NewSharedInformerFactoryWithOptions(env.kube, 0, informers.WithNamespace(ns))
	inf := f.Apps().V1().Deployments().Informer()
	record := func(obj any) {
		if d, ok := untomb(obj).(*appsv1.Deployment); ok && (d.Name == slotName(config.SlotA) || d.Name == slotName(config.SlotB)) {
			w.mu.Lock()
			w.versions, w.seen = append(w.versions, d.DeepCopy()), append(w.seen, time.Now())
			w.mu.Unlock()
		}
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: record, UpdateFunc: func(_, obj any) { record(obj) }})
	must(t, "watching the slots", err)
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	return w
}

// at returns the version of slot s's Deployment the API server held just
// before resource version rv, nil when there was none. Every object of the
// test cluster is kept in one etcd, whose revision orders the writes of
// every kind of object: a resource version is that revision.
func (w *slotWatch) at(s config.Slot, rv uint64) *appsv1.Deployment {
	w.mu.Lock()
	defer w.mu.Unlock()
	var last *appsv1.Deployment
	for _, d := range w.versions {
		if d.Name == slotName(s) && resourceVersion(d.ResourceVersion) < rv {
			if last == nil || resourceVersion(d.ResourceVersion) > resourceVersion(last.ResourceVersion) {
				last = d
			}
		}
	}
	return last
}

// firstRunning returns when slot s's Deployment was first seen with the
// template of revision rev, and whether it was.
func (w *slotWatch) firstRunning(s config.Slot, rev string) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, d := range w.versions {
		if d.Name == slotName(s) && d.Annotations[config.RevisionAnnotation] == rev {
			return w.seen[i], true
		}
	}
	return time.Time{}, false
}

// servedErr says which version of versions (VirtualService versions of an
// app promoted by role swap) gave weight to a slot that was not ready for
// it when it was written: the primary's slot (as the version's status
// names it) must run the status's stable revision, the canary's slot, when
// it has weight, the release's revision, each available with at least
// replicas; nil when every version did.
func (w *slotWatch) servedErr(versions []vsVersion, target istio.Target, replicas int32) error {
	for _, v := range versions {
		if v.VS == nil {
			continue
		}
		s, ok, _ := stepper.DecodeStatus(v.VS.Annotations)
		if !ok || s.PrimarySlot == "" {
			continue
		}
		target.Slot = s.PrimarySlot
		routed, weight := istio.ObserveRouting(v.VS, target)
		if !routed {
			return fmt.Errorf("VirtualService version %s (%s %s) is not routed for primary slot %s", v.VS.ResourceVersion, s.Phase, s.Reason, s.PrimarySlot)
		}
		type want struct {
			slot config.Slot
			rev  string
		}
		wants := []want{{s.PrimarySlot, s.StableRevision}}
		if weight > 0 {
			wants = append(wants, want{s.PrimarySlot.Other(), s.Revision})
		}
		rv := resourceVersion(v.VS.ResourceVersion)
		for _, want := range wants {
			d := w.at(want.slot, rv)
			switch {
			case d == nil:
				return fmt.Errorf("VirtualService version %s (%s %s, canary weight %d) routes to slot %s, whose Deployment did not exist",
					v.VS.ResourceVersion, s.Phase, s.Reason, weight, want.slot)
			case d.Annotations[config.RevisionAnnotation] != want.rev || !workload.Available(d) || ptr.Deref(d.Spec.Replicas, 1) < replicas:
				return fmt.Errorf("VirtualService version %s (%s %s, canary weight %d) routes to slot %s, whose Deployment (version %s) ran revision %q, %d replicas wanted, generation %d, status %+v; want revision %s available with %d",
					v.VS.ResourceVersion, s.Phase, s.Reason, weight, want.slot, d.ResourceVersion, d.Annotations[config.RevisionAnnotation],
					ptr.Deref(d.Spec.Replicas, 1), d.Generation, d.Status, want.rev, replicas)
			}
		}
	}
	return nil
}

// resourceVersion reads a resource version as the etcd revision it is.
func resourceVersion(rv string) uint64 {
	n, _ := strconv.ParseUint(rv, 10, 64)
	return n
}
