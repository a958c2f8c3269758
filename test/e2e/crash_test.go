//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// TestKilledAfterEveryWriteReleasesGoForward releases one app again and
// again with its own controller, reached only through a counting proxy.
// For a release that is promoted, one a gate rejects at step 2 and one
// aborted by command at step 1, an uninterrupted run counts the
// controller's writes (Events apart); then, for
// every k up to that count, a release is run in which the proxy cuts the
// controller off right after its k-th write, the test SIGKILLs it and starts
// it again. Each must end as the uninterrupted one did, with the canary
// weights the VirtualService took never moving back (except the final move
// to 0), no canary weight after the rollback was decided, and no request
// answered by the mesh with UH, NR or NC. It runs alone: it stops the shared
// controller while its own runs.
func TestKilledAfterEveryWriteReleasesGoForward(t *testing.T) {
	gate := startStepGate(t)
	k := startCuttableController(t, gate)
	a := newApp(t, "kill-every-write").Steps("20,60").StepInterval("2s").Set(config.KeyScaleDownDelay, "1s").
		Set(config.KeyMaxFailedChecks, "1").Set("gate.webhook.step", gate.server.URL+"/step").Create()

	covered, started := 0, time.Now()
	for _, kind := range []releaseKind{
		{name: "promoted", want: stepper.PhaseSucceeded},
		{name: "rejected at step 2", reject: true, want: stepper.PhaseFailed},
		{name: "aborted at step 1", abort: true, want: stepper.PhaseFailed},
	} {
		clean := k.release(a, gate, kind, 0)
		t.Logf("%s, uninterrupted: %d writes (Events apart: %s), canary weights %v, %d generation bumps of the user's Deployment by the controller, %s",
			kind.name, clean.writes, clean.writesByKind, slices.Compact(clean.weights), clean.generations, clean.took.Round(time.Millisecond))
		if msg := kind.check(clean, nil); msg != "" {
			t.Fatalf("%s, uninterrupted: %s", kind.name, msg)
		}
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
	}
	t.Logf("%d kill points covered in %s", covered, time.Since(started).Round(time.Second))
}

// releaseKind is a kind of release the kill test runs, and how it ends:
// reject makes the gate fail it from step 2, abort holds it at step 1 and
// sends the abort command there.
type releaseKind struct {
	name          string
	reject, abort bool
	want          stepper.Phase
}

// killRun is what one release of the kill test did.
type killRun struct {
	rev string
	// good is the revision the primary must run at the end.
	good  string
	final stepper.Status
	// primary is the primary's revision at the end.
	primary string
	// writes counts the controller's writes (Events apart) from the
	// template change to the end of the release; writesByKind details them.
	writes       int
	writesByKind cluster.Counts
	// weights is the canary weight of every version of the VirtualService
	// seen during the release, in order.
	weights []int32
	// afterFail lists the canary weights seen after the status first
	// recorded the rollback.
	afterFail []int32
	killed    bool
	// generations is how often the controller changed the user's
	// Deployment's generation during the release.
	generations int64
	took        time.Duration
}

// check says what is wrong with run, compared with the uninterrupted clean
// run when given; "" when nothing is.
func (k releaseKind) check(run killRun, clean *killRun) string {
	switch {
	case run.final.Phase != k.want:
		return fmt.Sprintf("ended %s (%s: %s), want %s", run.final.Phase, run.final.Reason, run.final.Message, k.want)
	case clean != nil && run.final.Reason != clean.final.Reason:
		return fmt.Sprintf("ended for reason %s (%s), uninterrupted %s", run.final.Reason, run.final.Message, clean.final.Reason)
	case run.primary != run.good:
		return fmt.Sprintf("the primary runs revision %s, want %s", run.primary, run.good)
	case len(run.afterFail) > 0 && slices.Max(run.afterFail) > 0:
		return fmt.Sprintf("the canary got weight again after the rollback was decided: %v (all weights %v)", run.afterFail, run.weights)
	}
	if msg := weightRegression(run.weights); msg != "" {
		return msg
	}
	if clean == nil {
		return ""
	}
	got, want := slices.Compact(slices.Clone(run.weights)), slices.Compact(slices.Clone(clean.weights))
	if (k.reject || k.abort) && isSubsequence(got, want) {
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
}

// startCuttableController stops the shared controller and starts one behind
// a counting proxy in its place, until the end of the test.
func startCuttableController(t *testing.T, gate *stepGate) *cuttableController {
	t.Helper()
	proxy, err := cluster.StartProxy(env.cluster.AdminConfig())
	must(t, "starting the counting proxy", err)
	kubeconfig, err := proxy.WriteKubeconfig(env.cluster.RunDir, "kill-test")
	must(t, "writing the proxy's kubeconfig", err)
	shared := env.controller
	shared.Stop()
	ctrl, err := env.cluster.StartMeshcanary(cluster.MeshcanaryOptions{
		Name:       "meshcanary-kill-test",
		Kubeconfig: kubeconfig,
		Args: []string{
			"--prometheus-url", env.prometheus.URL(),
			"--log-level", "debug",
			"--gate-webhook-allow", gate.server.URL,
		},
	})
	if err != nil {
		must(t, "restarting the shared controller", shared.Start())
		t.Fatalf("starting the controller behind the proxy: %v", err)
	}
	env.controller = ctrl
	t.Cleanup(func() {
		ctrl.Stop()
		proxy.Close()
		env.controller = shared
		must(t, "restarting the shared controller", shared.Start())
	})
	return &cuttableController{t: t, ctrl: ctrl, proxy: proxy}
}

// release changes the app's image and follows the release to its end. With
// cutAfter above 0, the controller is cut off right after its cutAfter-th
// write, killed with SIGKILL and started again.
func (k *cuttableController) release(a *app, gate *stepGate, kind releaseKind, cutAfter int) killRun {
	k.t.Helper()
	started := time.Now()
	good := a.deployment(primaryName).Annotations[config.RevisionAnnotation]
	vsSeen := len(a.rec.vsHistory(appName))
	before := k.proxy.Snapshot()
	cut := k.proxy.CutAfter(cutAfter)
	image := fmt.Sprintf("example.com/web:%d", started.UnixNano())
	// The gate must know the revision before the release reaches step 1.
	changed := a.update(func(d *appsv1.Deployment) {
		d.Spec.Template.Spec.Containers[0].Image = image
		gate.set(workload.Revision(&d.Spec.Template), kind)
	})
	run := killRun{rev: workload.Revision(&changed.Spec.Template), good: good}
	if kind.want == stepper.PhaseSucceeded {
		run.good = run.rev
	}
	aborted := false
	ended := func() bool {
		v, _ := a.rec.latest()
		return v.Status.Revision == run.rev && (v.Status.Phase == stepper.PhaseSucceeded || v.Status.Phase == stepper.PhaseFailed)
	}
	deadline := time.After(waitTimeout)
	for !ended() || (cutAfter > 0 && !run.killed && k.proxy.Writes() >= cutAfter) {
		v, next := a.rec.latest()
		if kind.abort && !aborted && v.Status.Revision == run.rev && v.Status.Phase == stepper.PhaseProgressing && v.Status.Step >= 1 {
			a.Annotate(config.CommandAnnotation, fmt.Sprintf("abort/%d", time.Now().UnixNano()))
			aborted = true
		}
		select {
		case <-cut:
			k.kill()
			run.killed, cut = true, nil
		case <-next:
		case <-time.After(time.Second):
		case <-deadline:
			k.t.Fatalf("the release of %s did not end within %s", run.rev, waitTimeout)
		}
	}
	a.eventually("the canary to be idled at the end of the release", func() error { return a.replicasErr(0) })
	run.writes = k.settle()
	select {
	case <-cut: // the cut-off write came after the release ended
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
	run.primary = a.deployment(primaryName).Annotations[config.RevisionAnnotation]
	failedAt := time.Time{}
	for _, s := range a.rec.statusHistory() {
		if s.Status.Revision == run.rev && (s.Status.Phase == stepper.PhaseRollingBack || s.Status.Phase == stepper.PhaseFailed) {
			failedAt = s.At
			break
		}
	}
	target := istio.Target{Namespace: a.ns, Service: appName, Deployment: appName}
	for _, v := range a.rec.vsHistory(appName)[vsSeen:] {
		_, w := istio.ObserveRouting(v.VS, target)
		run.weights = append(run.weights, w)
		if !failedAt.IsZero() && v.At.After(failedAt) {
			run.afterFail = append(run.afterFail, w)
		}
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

// stepGate is a webhook gate that passes every check, except from step 2
// on for the revisions of a rejected kind of release, and except from step
// 1 on (it holds) for those of an aborted kind.
type stepGate struct {
	server *httptest.Server

	mu    sync.Mutex
	kinds map[string]releaseKind
}

func startStepGate(t *testing.T) *stepGate {
	g := &stepGate{kinds: map[string]releaseKind{}}
	g.server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.server.Close)
	return g
}

// set tells the gate the kind of release of revision rev.
func (g *stepGate) set(rev string, kind releaseKind) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.kinds[rev] = kind
}

func (g *stepGate) serve(w http.ResponseWriter, r *http.Request) {
	var req gates.WebhookRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	kind := g.kinds[req.Revision]
	g.mu.Unlock()
	resp := gates.WebhookResponse{Result: "pass", Reason: "step gate passes"}
	switch {
	case kind.reject && req.Step >= 2:
		resp = gates.WebhookResponse{Result: "fail", Reason: fmt.Sprintf("revision %s is rejected from step 2", req.Revision)}
	case kind.abort:
		resp = gates.WebhookResponse{Result: "hold", Reason: fmt.Sprintf("revision %s waits for the abort command", req.Revision)}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
