//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// releaseWrites is what one promoted release of 5 steps without gates
// costs in API writes, exactly, Events apart (see docs/design.md, "Where
// the state lives"): 8 of the home VirtualService (the release's start,
// the 5 steps, Promoting, the weight back to 0 with Succeeded), 3 of
// Deployments (the canary's scale-up, the primary's template, the canary's
// scale-down, which writes no status) and 1 of the DestinationRule (the
// canary subset's new pod-template-hash). Writes the API server refused with
// a conflict changed nothing and are counted apart (updateUser retries a
// scale-up that crossed the Deployment controller's status update).
var releaseWrites = cluster.Counts{
	{Verb: "update", Resource: "virtualservices"}:  8,
	{Verb: "update", Resource: "deployments"}:      3,
	{Verb: "update", Resource: "destinationrules"}: 1,
}

// TestWritesPerReleaseStayWithinBudget releases three canaries at once,
// each in 5 steps of 2s without gates, each watched by a controller of its
// own reached only through a counting proxy, and counts each controller's
// writes: exactly releaseWrites per release, kind by kind; every change
// of the canary weight in exactly one VirtualService write; the status
// never written to the user's Deployment, whose generation the controller
// changes exactly twice per release (the canary's scale-up and scale-down:
// a spec.replicas change bumps it, as any spec change does). It runs alone:
// it stops the shared controller while its own run.
func TestWritesPerReleaseStayWithinBudget(t *testing.T) {
	gate := startStepGate(t)
	shared := env.controller
	shared.Stop()
	t.Cleanup(func() { must(t, "restarting the shared controller", shared.Start()) })

	type release struct {
		a                     *app
		k                     *cuttableController
		before                int // writes in the proxy's log
		rev                   string
		generation, vsVersion int
	}
	releases := make([]release, 3)
	for i := range releases {
		ns := fmt.Sprintf("writes-%d", i)
		r := &releases[i]
		r.k = startCuttableController(t, gate.server.URL, "e2e-"+ns)
		r.a = newApp(t, ns).Steps("10,20,30,40,50").StepInterval("2s").Set(config.KeyScaleDownDelay, "1s").
			Rate(5).Controllers(r.k.ctrl).Create()
	}
	for i := range releases {
		r := &releases[i]
		r.before = len(r.k.proxy.WriteLog())
		r.vsVersion = len(r.a.rec.vsHistory(appName))
		r.rev = r.a.SetImage(fmt.Sprintf("example.com/web:writes-%d", i))
		r.generation = int(r.a.deployment(appName).Generation)
	}
	for _, r := range releases {
		r.a.waitPhase(r.rev, stepper.PhaseSucceeded)
		r.a.eventually("the canary to be idled at the end of the release", func() error { return r.a.replicasErr(0) })
	}

	for _, r := range releases {
		a := r.a
		r.k.settle()
		writes, conflicts := cluster.Counts{}, 0
		for _, w := range r.k.proxy.WriteLog()[r.before:] {
			switch {
			case w.Resource == "events":
			case w.Code == http.StatusConflict:
				conflicts++
			default:
				writes[w.Request]++
			}
		}
		user := a.deployment(appName)
		bumps := int(user.Generation) - r.generation
		target := istio.Target{Namespace: a.ns, Service: appName, Deployment: appName}
		versions := a.rec.vsHistory(appName)[r.vsVersion:]
		t.Logf("%s: %d writes (Events apart: %s) and %d refused with a conflict, %d generation bumps of the user's Deployment; VirtualService versions: %s",
			a.ns, writes.Sum(cluster.WriteVerbs), writes, conflicts, bumps, describeVersions(versions, target))
		if !maps.Equal(writes, releaseWrites) {
			t.Errorf("%s: writes %s, want exactly %s", a.ns, writes, releaseWrites)
		}
		if _, ok := user.Annotations[config.StatusAnnotation]; ok {
			t.Errorf("%s: the user's Deployment carries a status annotation", a.ns)
		}
		if bumps != 2 {
			t.Errorf("%s: the controller changed the user's Deployment's generation %d times, want 2 (scale-up, scale-down)", a.ns, bumps)
		}
		weights, splits := weightChanges(versions, target)
		if want := []int32{10, 20, 30, 40, 50, 0}; !slices.Equal(weights, want) || splits > 0 {
			t.Errorf("%s: canary weights %v with %d changes of the routes that left the weight alone, want %v each in one write",
				a.ns, weights, splits, want)
		}
	}
}

// weightChanges returns the canary weights the VirtualService took, one
// per version that changed it, and how many versions changed its spec
// without changing the weight (a weight change spread over writes). The
// weight of a version is the canary's relative to the primary's slot its
// status names, if any (see withStatusSlot).
func weightChanges(versions []vsVersion, t istio.Target) (weights []int32, splits int) {
	var prev *vsVersion
	var w int32
	for i := range versions {
		v := &versions[i]
		if v.VS == nil {
			continue
		}
		_, got := istio.ObserveRouting(v.VS, withStatusSlot(v.VS, t))
		switch {
		case prev == nil:
		case got != w:
			weights = append(weights, got)
		case !proto.Equal(&prev.VS.Spec, &v.VS.Spec):
			splits++
		}
		prev, w = v, got
	}
	return weights, splits
}

// describeVersions says, for each version of a VirtualService, the phase
// its status records and the canary weight it routes (relative to the
// primary's slot the status names, if any).
func describeVersions(versions []vsVersion, t istio.Target) string {
	var parts []string
	for _, v := range versions {
		if v.VS == nil {
			parts = append(parts, "deleted")
			continue
		}
		s, _, _ := stepper.DecodeStatus(v.VS.Annotations)
		_, w := istio.ObserveRouting(v.VS, withStatusSlot(v.VS, t))
		parts = append(parts, fmt.Sprintf("%s/%s%s@%d", s.Phase, s.Reason, slotSuffix(s.PrimarySlot), w))
	}
	return strings.Join(parts, " ")
}

// slotSuffix is "/slot-<s>" for the primary's slot s of a promotion by role
// swap, "" for a rollout.
func slotSuffix(s config.Slot) string {
	if s == "" {
		return ""
	}
	return "/" + s.Subset()
}
