//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// writeBudget is what one promoted release of 5 steps without gates may
// cost in API writes, Events apart (see docs/design.md, "Where the state
// lives"): 10 of the home VirtualService (the release's start, the 5
// steps, Promoting, the weight back to 0, Succeeded, the end of the
// scale-down delay), 3 of Deployments (the canary's scale-up, the primary's
// template, the canary's scale-down) and 1 of the DestinationRule (the
// canary subset's new pod-template-hash).
var writeBudget = map[cluster.Request]int{
	{Verb: "update", Resource: "virtualservices"}:  10,
	{Verb: "update", Resource: "deployments"}:      3,
	{Verb: "update", Resource: "destinationrules"}: 1,
}

// TestWritesPerReleaseStayWithinBudget releases three canaries at once,
// each in 5 steps of 2s without gates, with a controller reached only
// through a counting proxy, and counts its writes: no more than the budget
// per release, kind by kind; every change of the canary weight in exactly
// one VirtualService write; the status never written to the user's
// Deployment, whose generation the controller changes exactly twice per
// release (the canary's scale-up and scale-down: a spec.replicas change
// bumps it, as any spec change does).
func TestWritesPerReleaseStayWithinBudget(t *testing.T) {
	k := startCuttableController(t, startStepGate(t))
	const steps = "10,20,30,40,50"
	var apps []*app
	for i := range 3 {
		apps = append(apps, newApp(t, fmt.Sprintf("writes-%d", i)).Steps(steps).StepInterval("2s").
			Set(config.KeyScaleDownDelay, "1s").Rate(5).Create())
	}

	before := k.proxy.Snapshot()
	type release struct {
		rev                   string
		generation, vsVersion int
	}
	releases := make([]release, len(apps))
	for i, a := range apps {
		releases[i].vsVersion = len(a.rec.vsHistory(appName))
		releases[i].rev = a.SetImage(fmt.Sprintf("example.com/web:writes-%d", i))
		releases[i].generation = int(a.deployment(appName).Generation)
	}
	for i, a := range apps {
		a.waitPhase(releases[i].rev, stepper.PhaseSucceeded)
		a.eventually("the canary to be idled at the end of the release", func() error { return a.replicasErr(0) })
	}
	k.settle()
	writes := cluster.Counts{}
	for r, n := range k.proxy.Snapshot().Minus(before) {
		if slices.Contains(cluster.WriteVerbs, r.Verb) && r.Resource != "events" {
			writes[r] = n
		}
	}
	total := writes.Sum(cluster.WriteVerbs)
	t.Logf("%d releases: %d writes, %.1f per release (Events apart): %s", len(apps), total, float64(total)/float64(len(apps)), writes)
	for r, n := range writes {
		if budget := writeBudget[r] * len(apps); n > budget {
			t.Errorf("%d %s %s writes for %d releases, budget %d", n, r.Verb, r.Resource, len(apps), budget)
		}
	}

	target := istio.Target{Service: appName, Deployment: appName}
	for i, a := range apps {
		user := a.deployment(appName)
		if _, ok := user.Annotations[config.StatusAnnotation]; ok {
			t.Errorf("%s: the user's Deployment carries a status annotation", a.ns)
		}
		if bumps := int(user.Generation) - releases[i].generation; bumps != 2 {
			t.Errorf("%s: the controller changed the user's Deployment's generation %d times, want 2 (scale-up, scale-down)", a.ns, bumps)
		}
		target.Namespace = a.ns
		versions := a.rec.vsHistory(appName)[releases[i].vsVersion:]
		t.Logf("%s: %d VirtualService versions: %s", a.ns, len(versions), describeVersions(versions, target))
		weights, splits := weightChanges(versions, target)
		want := []int32{10, 20, 30, 40, 50, 0}
		if !slices.Equal(weights, want) || splits > 0 {
			t.Errorf("%s: canary weights %v with %d changes of the routes that left the weight alone, want %v each in one write",
				a.ns, weights, splits, want)
		}
	}
}

// weightChanges returns the canary weights the VirtualService took, one
// per version that changed it, and how many versions changed its spec
// without changing the weight (a weight change spread over writes).
func weightChanges(versions []vsVersion, t istio.Target) (weights []int32, splits int) {
	var prev *vsVersion
	var w int32
	for i := range versions {
		v := &versions[i]
		if v.VS == nil {
			continue
		}
		_, got := istio.ObserveRouting(v.VS, t)
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
// its status records and the canary weight it routes.
func describeVersions(versions []vsVersion, t istio.Target) string {
	var parts []string
	for _, v := range versions {
		if v.VS == nil {
			parts = append(parts, "deleted")
			continue
		}
		s, _, _ := stepper.DecodeStatus(v.VS.Annotations)
		_, w := istio.ObserveRouting(v.VS, t)
		parts = append(parts, fmt.Sprintf("%s/%s@%d", s.Phase, s.Reason, w))
	}
	return strings.Join(parts, " ")
}
