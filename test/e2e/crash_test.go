//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// TestKilledAfterEveryWriteReleasesGoForward releases apps again and again,
// each with its own controller reached only through a counting proxy. For
// a release that is promoted, one a gate rejects at step 2, one aborted by
// command at step 1 and one opted out at step 1 (the label removed: the
// opt-out is held, then the user sets the template back to the stable
// revision and it finishes), an uninterrupted run counts the controller's
// writes (Events apart); then, for every k up to that count, a release is
// run in which the proxy cuts the controller off right after its k-th
// write, the test SIGKILLs it and starts it again. Each must end as the
// uninterrupted one did, with the canary weights the VirtualService took
// never moving back (except the final move to 0), no canary weight after
// the rollback or the opt-out was decided, and no request answered by the
// mesh with UH, NR or NC. The four kinds run side by side, in namespaces of
// their own, each watched by its controller only. The promoted and the
// rejected release run a second time with an ingress VirtualService of
// istio-system besides the user's own, both split (see checkSplit), so
// that kills fall between the VirtualService writes of one step and of the
// rollback. The promoted, the rejected, the aborted and the opted-out
// release run a third time with meshcanary.io/promotion: swap (the canary in the slot
// that is not the primary's, promoted by the write that swaps the roles;
// see releaseKind.swap). It runs alone: it stops the shared controller
// while its own run.
func TestKilledAfterEveryWriteReleasesGoForward(t *testing.T) {
	gate := startStepGate(t)
	shared := env.controller
	shared.Stop()
	t.Cleanup(func() { must(t, "restarting the shared controller", shared.Start()) })

	started := time.Now()
	var covered atomic.Int64
	t.Run("kinds", func(t *testing.T) {
		for _, kind := range []releaseKind{
			{name: "promoted", slug: "promoted", want: stepper.PhaseSucceeded},
			{name: "rejected at step 2", slug: "rejected", reject: true, want: stepper.PhaseFailed},
			{name: "aborted at step 1", slug: "aborted", abort: true, want: stepper.PhaseFailed},
			{name: "opted out at step 1", slug: "opted-out", optOut: true},
			{name: "promoted, with a gateway", slug: "promoted-gw", gateway: true, want: stepper.PhaseSucceeded},
			{name: "rejected at step 2, with a gateway", slug: "rejected-gw", reject: true, gateway: true, want: stepper.PhaseFailed},
			{name: "promoted, by role swap", slug: "promoted-swap", swap: true, want: stepper.PhaseSucceeded},
			{name: "rejected at step 2, by role swap", slug: "rejected-swap", reject: true, swap: true, want: stepper.PhaseFailed},
			{name: "aborted at step 1, by role swap", slug: "aborted-swap", abort: true, swap: true, want: stepper.PhaseFailed},
			{name: "opted out at step 1, by role swap", slug: "opted-out-swap", optOut: true, swap: true},
		} {
			t.Run(kind.slug, func(t *testing.T) {
				t.Parallel()
				covered.Add(int64(sweepKills(t, gate, kind)))
			})
		}
	})
	t.Logf("%d kill points covered in %s", covered.Load(), time.Since(started).Round(time.Second))
}

// sweepKills runs the releases of one kind, uninterrupted then killed
// after every write, and returns the number of kill points covered.
func sweepKills(t *testing.T, gate *stepGate, kind releaseKind) int {
	ns := "kill-" + kind.slug
	var routes *splitRoutes
	var args []string
	if kind.gateway {
		routes = startSplitRoutes(t, "e2e-"+ns)
		args = []string{"--virtualservice-namespaces", gatewayNamespace}
	}
	k := startCuttableController(t, gate.server.URL, "e2e-"+ns, args...)
	k.routes = routes
	if kind.swap {
		k.slotWatch = watchSlots(t, "e2e-"+ns)
	}
	spec := newApp(t, ns).Steps("20,60").StepInterval(killStepInterval.String()).Set(config.KeyScaleDownDelay, "1s").
		Set(config.KeyMaxFailedChecks, "1").Set("gate.webhook.step", gate.server.URL+"/step").
		Controllers(k.ctrl)
	if routes != nil {
		spec = spec.Routes(routes.home.DeepCopy(), nil)
	}
	if kind.swap {
		spec = spec.Set(config.KeyPromotion, string(config.PromotionSwap))
	}
	a := spec.Create()

	started := time.Now()
	clean := k.release(a, gate, kind, 0)
	t.Logf("%s, uninterrupted: %d writes (Events apart: %s), canary weights %v, %d generation bumps of the user's Deployment, %s",
		kind.name, clean.writes, clean.writesByKind, slices.Compact(clean.weights), clean.generations, clean.took.Round(time.Millisecond))
	if msg := kind.check(clean, nil); msg != "" {
		t.Fatalf("%s, uninterrupted: %s", kind.name, msg)
	}
	covered := 0
	for cutAfter := 1; cutAfter <= clean.writes; cutAfter++ {
		run := k.release(a, gate, kind, cutAfter)
		if !run.killed {
			t.Logf("%s: the release made only %d writes, no kill after write %d", kind.name, run.writes, cutAfter)
			continue
		}
		covered++
		if msg := kind.check(run, &clean); msg != "" {
			t.Errorf("%s, killed after write %d: %s", kind.name, cutAfter, msg)
		}
	}
	t.Logf("%s: %d kill points covered in %s", kind.name, covered, time.Since(started).Round(time.Second))
	return covered
}

// killStepInterval is the bake time of every step of the kill test.
const killStepInterval = 2 * time.Second

// releaseKind is a kind of release the kill test runs, and how it ends:
// reject makes the gate fail it from step 2; abort holds it at step 1 and
// sends the abort command there; optOut holds it at step 1, removes the
// label there, and once the opt-out is held sets the template back to
// the stable revision (want is then no status at all: the Deployment is
// handed back and meshcanary's objects are gone). With gateway, the app
// is routed by a VirtualService of the user's and an ingress one (see
// splitRoutes). With swap, the app is promoted by role swap
// (meshcanary.io/promotion: swap): the primary is the slot the status
// names, the canary runs in the other one, the canary weights are read
// relative to the slots each status names, and the user's Deployment,
// which only holds the template, is never written but by an opt-out.
type releaseKind struct {
	name, slug                           string
	reject, abort, optOut, gateway, swap bool
	want                                 stepper.Phase
}

// killRun is what one release of the kill test did.
type killRun struct {
	rev     string
	started time.Time
	// good is the revision that must serve at the end.
	good  string
	final stepper.Status
	// serving is the revision serving at the end: the primary's, or after
	// an opt-out the user's Deployment's.
	serving string
	// notHandedBack says what is not handed back at the end of an opt-out; ""
	// when everything is.
	notHandedBack string
	// writes counts the controller's writes (Events apart) from the
	// template change to the end of the release; writesByKind details them.
	writes       int
	writesByKind cluster.Counts
	// weights is the canary weight of every version of the VirtualService
	// seen during the release, in order.
	weights []int32
	// afterDecision lists the canary weights seen after the status first
	// recorded the rollback or the held opt-out; decidedAt is when.
	afterDecision []int32
	decidedAt     time.Time
	// split says what is wrong with the VirtualServices of a kind with a
	// gateway (see splitRoutes.check); "" when nothing is.
	split string
	// slots says what is wrong with a release of a kind promoted by role
	// swap: at its end, opt-outs apart (see checkSlots), or with a slot
	// routed before it was ready (see slotWatch.servedErr); "" when
	// nothing is.
	slots  string
	killed bool
	// cutAt is when the controller was cut off (the zero time when it was
	// not): right after its cut-off write's answer.
	cutAt time.Time
	// generations is how often the user's Deployment's generation changed
	// during the release (for an opt-out, the user's revert included);
	// edits how often the test edited it after the release's template
	// (an abort command's annotation bumps the generation too).
	generations, edits int64
	took               time.Duration
}

// check says what is wrong with run, compared with the uninterrupted clean
// run when given; "" when nothing is.
func (k releaseKind) check(run killRun, clean *killRun) string {
	switch {
	case run.final.Phase != k.want:
		return fmt.Sprintf("ended %s (%s: %s), want %s", run.final.Phase, run.final.Reason, run.final.Message, k.want)
	case clean != nil && run.final.Reason != clean.final.Reason:
		return fmt.Sprintf("ended for reason %s (%s), uninterrupted %s", run.final.Reason, run.final.Message, clean.final.Reason)
	case run.serving != run.good:
		return fmt.Sprintf("revision %s serves at the end, want %s", run.serving, run.good)
	case run.notHandedBack != "":
		return "the opt-out did not hand back: " + run.notHandedBack
	case run.slots != "":
		return run.slots
	case len(run.afterDecision) > 0 && slices.Max(run.afterDecision) > 0:
		return fmt.Sprintf("the canary got weight again after the rollback or opt-out was decided: %v (all weights %v)", run.afterDecision, run.weights)
	}
	if msg := weightRegression(run.weights); msg != "" {
		return msg
	}
	if run.split != "" {
		return run.split
	}
	if clean == nil {
		return ""
	}
	got, want := slices.Compact(slices.Clone(run.weights)), slices.Compact(slices.Clone(clean.weights))
	if (k.reject || k.abort || k.optOut) && isSubsequence(got, want) {
		return "" // a step decided but not routed before the kill is rolled back before it gets traffic
	}
	if !slices.Equal(got, want) {
		return fmt.Sprintf("canary weights %v, uninterrupted %v", got, want)
	}
	return ""
}

// weightRegression describes the first move of the canary weight that goes
// back, other than a move to 0 that stays at 0; "" when there is none.
func weightRegression(weights []int32) string {
	for i := 1; i < len(weights); i++ {
		prev, w := weights[i-1], weights[i]
		if w == 0 && slices.Max(weights[i:]) == 0 {
			return ""
		}
		if w < prev {
			return fmt.Sprintf("the canary weight went back from %d to %d (weights %v)", prev, w, weights)
		}
	}
	return ""
}

// isSubsequence reports whether got is want with some elements left out,
// the last one kept, or empty (the canary never got a weight).
func isSubsequence(got, want []int32) bool {
	if len(got) == 0 {
		return true
	}
	if len(want) == 0 || got[len(got)-1] != want[len(want)-1] {
		return false
	}
	i := 0
	for _, w := range want {
		if i < len(got) && got[i] == w {
			i++
		}
	}
	return i == len(got)
}

// cuttableController is a controller of the test's own, reached only
// through a counting proxy that can cut it off after any write.
type cuttableController struct {
	t     *testing.T
	ctrl  *cluster.Meshcanary
	proxy *cluster.Proxy
	// routes are the app's VirtualServices of a kind with a gateway; nil
	// otherwise.
	routes *splitRoutes
	// slotWatch records the slots of a kind promoted by role swap; nil
	// otherwise.
	slotWatch *slotWatch
}

// startCuttableController starts a controller behind a counting proxy,
// watching namespace ns only and allowed to call the webhook gate at
// gateURL, with further flags args, until the end of the test.
func startCuttableController(t *testing.T, gateURL, ns string, args ...string) *cuttableController {
	t.Helper()
	ctrl, proxy := startBehindProxy(t, ns, ns, append([]string{"--gate-webhook-allow", gateURL}, args...)...)
	return &cuttableController{t: t, ctrl: ctrl, proxy: proxy}
}

// release changes the app's image and follows the release to its end. With
// cutAfter above 0, the controller is cut off right after its cutAfter-th
// write, killed with SIGKILL and started again. An opted-out app is opted
// in again afterwards, for the next release.
func (k *cuttableController) release(a *app, gate *stepGate, kind releaseKind, cutAfter int) killRun {
	k.t.Helper()
	started := time.Now()
	startSlot := config.Slot("")
	if kind.swap {
		st, _ := a.status()
		startSlot = st.PrimarySlot
	}
	good := a.primaryOf(kind.swap).Annotations[config.RevisionAnnotation]
	stableImage := a.deployment(appName).Spec.Template.Spec.Containers[0].Image
	home := appName
	if k.routes != nil {
		home = k.routes.home.Name
	}
	vsSeen, ingressSeen := len(a.rec.vsHistory(home)), 0
	if k.routes != nil {
		ingressSeen = len(k.routes.watch.history())
	}
	before := k.proxy.Snapshot()
	cut := k.proxy.CutAfter(cutAfter)
	image := fmt.Sprintf("example.com/web:%d", started.UnixNano())
	// The gate must know the revision before the release reaches step 1.
	changed := a.update(func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = image
		gate.set(workload.Revision(&d.Spec.Template), kind)
	})
	run := killRun{rev: workload.Revision(&changed.Spec.Template), good: good, started: started}
	if kind.want == stepper.PhaseSucceeded {
		run.good = run.rev
	}
	aborted, optedOut, reverted := false, false, false
	// The release ends with the canary idled, or the opt-out handed back:
	// both need writes of the controller, so a cut can come until then.
	ended := func() bool {
		if kind.optOut {
			return reverted && a.optOutErr(run.good) == nil
		}
		v, _ := a.rec.latest()
		return v.Status.Revision == run.rev && (v.Status.Phase == stepper.PhaseSucceeded || v.Status.Phase == stepper.PhaseFailed) &&
			a.canaryIdleErr(kind.swap, v.Status) == nil
	}
	deadline := time.After(waitTimeout)
	for !ended() || (cutAfter > 0 && !run.killed && k.proxy.Writes() >= cutAfter) {
		v, next := a.rec.latest()
		atStep1 := v.Status.Revision == run.rev && v.Status.Phase == stepper.PhaseProgressing && v.Status.Step >= 1
		switch {
		case kind.abort && !aborted && atStep1:
			a.Annotate(config.CommandAnnotation, fmt.Sprintf("abort/%d", time.Now().UnixNano()))
			aborted, run.edits = true, run.edits+1
		case kind.optOut && !optedOut && atStep1:
			a.setOptedIn(false)
			optedOut = true
		case kind.optOut && optedOut && !reverted && v.Status.Revision == run.rev && v.Status.Reason == stepper.ReasonOptOutBlocked:
			a.update(func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = stableImage })
			reverted = true
		}
		select {
		case <-cut:
			run.cutAt = time.Now()
			k.kill()
			run.killed, cut = true, nil
		case <-next:
		case <-time.After(250 * time.Millisecond):
		case <-deadline:
			k.t.Fatalf("the release of %s did not end within %s", run.rev, waitTimeout)
		}
	}
	run.writes = k.settle()
	select {
	case <-cut: // the cut-off write came after the release ended
		run.cutAt = time.Now()
		k.kill()
		run.killed = true
		run.writes = k.settle()
	default:
	}
	run.writesByKind = cluster.Counts{}
	for r, n := range k.proxy.Snapshot().Minus(before) {
		if slices.Contains(cluster.WriteVerbs, r.Verb) && r.Resource != "events" {
			run.writesByKind[r] = n
		}
	}
	run.took = time.Since(started)

	v, _ := a.rec.latest()
	run.final = v.Status
	user := a.deployment(appName)
	run.generations = user.Generation - changed.Generation
	if kind.optOut {
		run.serving = workload.Revision(&user.Spec.Template)
		if err := a.optOutErr(run.good); err != nil {
			run.notHandedBack = err.Error()
		}
	} else {
		run.serving = a.primaryOf(kind.swap).Annotations[config.RevisionAnnotation]
	}
	decidedAt := time.Time{}
	for _, s := range a.rec.statusHistory() {
		if s.Status.Revision == run.rev && (s.Status.Phase == stepper.PhaseRollingBack || s.Status.Phase == stepper.PhaseFailed ||
			s.Status.Reason == stepper.ReasonOptOutBlocked) {
			decidedAt = s.At
			break
		}
	}
	run.decidedAt = decidedAt
	if k.routes != nil {
		run.split = k.routes.check(a, run, a.rec.vsHistory(home)[vsSeen:], k.routes.watch.history()[ingressSeen:])
	}
	target := istio.Target{Namespace: a.ns, Service: appName, Deployment: appName}
	for _, v := range a.rec.vsHistory(home)[vsSeen:] {
		if v.VS == nil {
			continue // deleted by the opt-out
		}
		_, w := istio.ObserveRouting(v.VS, withStatusSlot(v.VS, target))
		run.weights = append(run.weights, w)
		if !decidedAt.IsZero() && v.At.After(decidedAt) {
			run.afterDecision = append(run.afterDecision, w)
		}
	}
	if kind.swap && !kind.optOut {
		run.slots = checkSlots(a, run, startSlot, target)
	}
	if k.slotWatch != nil && run.slots == "" {
		if err := k.slotWatch.servedErr(a.rec.vsHistory(home)[vsSeen:], target, a.replicas); err != nil {
			run.slots = "a slot got weight before it was ready for it: " + err.Error()
		}
	}
	if kind.swap && run.slots == "" && !decidedAt.IsZero() {
		// No route gives the canary's slot weight once the rollback or the
		// opt-out is decided, and the slot's pods must not be reached
		// another way either (the plain service host selects them too).
		canary := slotName(startSlot.Other())
		if n := a.rec.traffic.between(decidedAt.Add(switchGuard), time.Now()).Workloads[canary]; n > 0 {
			run.slots = fmt.Sprintf("%d requests were answered by the canary's slot %s more than %s after the rollback or the opt-out was decided",
				n, canary, switchGuard)
			for _, v := range a.rec.vsHistory(home)[vsSeen:] {
				if v.VS == nil { // handed back to the plain service host
					m := a.rec.traffic.between(v.At, time.Now()).Workloads[canary]
					run.slots += fmt.Sprintf(" (%d of them after the VirtualService was deleted, the routes handed back to the plain service host)", m)
					break
				}
			}
		}
	}
	if kind.optOut {
		k.proxy.CutAfter(0) // a cut this release did not reach must not fall on the opt-in
		a.setOptedIn(true)
		a.waitPhase(run.good, stepper.PhaseReady)
		a.eventually("the user's Deployment to be idled after the opt-in", func() error { return a.replicasErr(0) })
	}
	return run
}

// kill kills the cut-off controller with SIGKILL and starts it again.
func (k *cuttableController) kill() {
	k.t.Helper()
	must(k.t, "killing the controller", k.ctrl.Kill())
	k.proxy.Reconnect()
	must(k.t, "restarting the controller", k.ctrl.Start())
}

// settleQuiet is how long the controller must make no write for a release
// to count as over.
const settleQuiet = time.Second

// settle waits until the controller has made no write for settleQuiet and
// returns the writes counted since the release began.
func (k *cuttableController) settle() int {
	n := k.proxy.Writes()
	for {
		time.Sleep(settleQuiet)
		m := k.proxy.Writes()
		if m == n {
			return n
		}
		n = m
	}
}

// primaryOf returns the Deployment that runs the app's primary: the copy
// named primaryName or, promoted by role swap (swap), the slot the status
// names. It fails the test when there is none.
func (a *app) primaryOf(swap bool) *appsv1.Deployment {
	a.t.Helper()
	name := primaryName
	if swap {
		st, _ := a.status()
		if st.PrimarySlot == "" {
			a.t.Fatalf("the status of an app promoted by role swap names no primary slot: %+v", st)
		}
		name = slotName(st.PrimarySlot)
	}
	d := a.deployment(name)
	if d == nil {
		a.t.Fatalf("the primary's Deployment %s does not exist", name)
	}
	return d
}

// canaryIdleErr says why the canary is not idled under status s: the
// user's Deployment of a rollout, or with swap the slot that is not the
// primary's, must want 0 replicas; nil when it does.
func (a *app) canaryIdleErr(swap bool, s stepper.Status) error {
	if !swap {
		return a.replicasErr(0)
	}
	if s.PrimarySlot == "" {
		return fmt.Errorf("the status names no primary slot: %+v", s)
	}
	return a.slotReplicasErr(s.PrimarySlot.Other(), 0)
}

// checkSlots says what is wrong at the end of run, a release of an app
// promoted by role swap that started with the primary in slot from; ""
// when nothing is. Every status of the release names from as the
// primary's slot until it is Succeeded, which names the other one; the
// final status names the other slot when the release was promoted, from
// when it was not; the user's Deployment is not written (its generation
// changed by the test's own edits only) and wants 0 replicas; the primary's slot wants the app's
// replicas; the VirtualService routes all traffic to the primary's slot.
func checkSlots(a *app, run killRun, from config.Slot, target istio.Target) string {
	want := from
	if run.final.Phase == stepper.PhaseSucceeded {
		want = from.Other()
	}
	for _, s := range a.rec.statusHistory() {
		if s.At.Before(run.started) || s.Status.Revision != run.rev {
			continue
		}
		slot := from
		if s.Status.Phase == stepper.PhaseSucceeded {
			slot = from.Other()
		}
		if s.Status.PrimarySlot != slot {
			return fmt.Sprintf("a status %s (%s) names slot %q as the primary's, want %q (the release started with %q)",
				s.Status.Phase, s.Status.Reason, s.Status.PrimarySlot, slot, from)
		}
	}
	user := a.deployment(appName)
	switch {
	case run.final.PrimarySlot != want:
		return fmt.Sprintf("ended with the primary in slot %q, want %q (the release started with %q)", run.final.PrimarySlot, want, from)
	case run.generations != run.edits:
		return fmt.Sprintf("the user's Deployment's generation changed %d times during the release, want %d, the test's own edits (it only holds the template)",
			run.generations, run.edits)
	case ptr.Deref(user.Spec.Replicas, 1) != 0:
		return fmt.Sprintf("the user's Deployment wants %d replicas at the end, want 0", ptr.Deref(user.Spec.Replicas, 1))
	}
	if err := a.slotReplicasErr(want, a.replicas); err != nil {
		return "the primary's slot at the end: " + err.Error()
	}
	if err := a.slotReplicasErr(want.Other(), 0); err != nil {
		return "the canary's slot at the end: " + err.Error()
	}
	vs := a.virtualService(appName)
	if vs == nil {
		return "the VirtualService does not exist at the end"
	}
	target.Slot = want
	if routed, w := istio.ObserveRouting(vs, target); !routed || w != 0 {
		return fmt.Sprintf("at the end the VirtualService routes %q (routed %t, canary weight %d), want slot %s alone",
			describeRoute(vs.Spec.Http[0].Route), routed, w, want)
	}
	return ""
}
