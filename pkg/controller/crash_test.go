package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// errDied is what a write returns once the fixture's controller is "dead".
var errDied = errors.New("the controller died after its previous write")

// stepGates passes every check before step failFrom and fails every check
// from it on (never with failFrom 0).
type stepGates struct{ failFrom int }

func (g stepGates) Evaluate(_ context.Context, _ gates.Specs, r gates.Release) []gates.Verdict {
	if g.failFrom > 0 && r.Step >= g.failFrom {
		return []gates.Verdict{{Gate: "step", Result: gates.Fail, Reason: fmt.Sprintf("fails from step %d", g.failFrom)}}
	}
	return []gates.Verdict{{Gate: "step", Result: gates.Pass}}
}

func (stepGates) Check(gates.Specs) config.Problems { return nil }
func (stepGates) Forget(string, string)             {}

// crashRun is what one release of ns/web did.
type crashRun struct {
	final stepper.Status
	// weights lists the canary weight of every VirtualService write.
	weights []int32
	// writes counts the controller's writes, the one that failed excluded.
	writes  int
	crashed bool
	image   string
}

// runCrashRelease adopts ns/web, releases web:v2 with gates failing from
// step failFrom (0: never) and walks the release to its end, playing the
// Deployment controller. The controller dies right after its dieAfter-th
// write of the release (never when 0): every later write of that reconcile
// fails, and a new controller takes over with nothing in memory.
func runCrashRelease(t *testing.T, failFrom, dieAfter int) crashRun {
	t.Helper()
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:           "5,50",
		config.Prefix + config.KeyMaxFailedChecks: "1",
		"meshcanary.io/gate.webhook.step":         "http://gates.example/step",
	})})
	f.c.gates = stepGates{failFrom}
	f.adopt()
	f.setImage("web:v2", "h2")

	var run crashRun
	counting := false
	target := istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}
	kill := func(a k8stesting.Action) (bool, runtime.Object, error) {
		switch a.GetVerb() {
		case "create", "update", "patch", "delete":
		default:
			return false, nil, nil
		}
		if !counting {
			return false, nil, nil
		}
		if dieAfter > 0 && run.writes == dieAfter {
			run.crashed = true
			return true, nil, errDied
		}
		run.writes++
		if o, ok := a.(k8stesting.CreateAction); ok {
			if vs, ok := o.GetObject().(*networkingv1.VirtualService); ok {
				_, w := istio.ObserveRouting(vs, target)
				run.weights = append(run.weights, w)
			}
		}
		return false, nil, nil
	}
	f.kube.PrependReactor("*", "*", kill)
	f.istio.PrependReactor("*", "*", kill)

	quiet := 0
	for range 80 {
		f.refresh()
		before := run.writes
		counting = true
		requeue, err := f.c.reconcile(context.Background(), "ns/web")
		counting = false
		if errors.Is(err, errDied) {
			f.restart()
			f.c.gates = stepGates{failFrom}
			dieAfter = 0
			continue
		}
		if err != nil {
			t.Fatalf("reconcile: %v", err)
		}
		run.final = f.status()
		if done := run.final.Phase == stepper.PhaseSucceeded || run.final.Phase == stepper.PhaseFailed; done && run.writes == before {
			if quiet++; quiet == 2 {
				run.image = f.deployment("web-primary").Spec.Template.Spec.Containers[0].Image
				return run
			}
		}
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		if p := f.deployment("web-primary"); p.Annotations[config.RevisionAnnotation] != run.final.StableRevision {
			f.markAvailable("web-primary")
		}
		f.clock.Step(requeue)
	}
	t.Fatalf("the release did not end: %s", run.final.Message)
	return run
}

// backwards describes the first move of weights that goes back, other than
// a move to 0 that stays at 0; "" when there is none.
func backwards(weights []int32) string {
	for i := 1; i < len(weights); i++ {
		prev, w := weights[i-1], weights[i]
		if w == 0 && !slices.ContainsFunc(weights[i:], func(v int32) bool { return v != 0 }) {
			return ""
		}
		if w < prev {
			return fmt.Sprintf("VirtualService write %d moved the canary weight back from %d to %d", i+1, prev, w)
		}
	}
	return ""
}

// subsequence returns got when it is want with some elements left out but
// the last one kept, else want (so that a comparison shows the difference).
func subsequence(want, got []int32) []int32 {
	if len(got) == 0 || len(want) == 0 || got[len(got)-1] != want[len(want)-1] {
		return want
	}
	i := 0
	for _, w := range want {
		if i < len(got) && got[i] == w {
			i++
		}
	}
	if i < len(got) {
		return want
	}
	return got
}

// distinct drops repeats of the same weight in a row.
func distinct(weights []int32) []int32 {
	return slices.Compact(slices.Clone(weights))
}

// TestAControllerDyingAfterAnyWriteResumesForward kills the controller right
// after each of its writes of a release in turn, for a promoted release and
// one rolled back by a failing gate: the restarted controller ends the same
// way as an uninterrupted one, with the same weights in the same order,
// never moving a weight back and never giving the canary traffic again
// once it was taken away.
func TestAControllerDyingAfterAnyWriteResumesForward(t *testing.T) {
	cases := map[string]struct {
		failFrom  int
		wantPhase stepper.Phase
		wantImage string
		// skips is set when a killed run may leave out weights before the
		// final 0: a step decided but not yet routed when the controller
		// died is rejected by the restarted controller's first check.
		skips bool
	}{
		"a promoted release":               {0, stepper.PhaseSucceeded, "web:v2", false},
		"a release a failing gate rejects": {2, stepper.PhaseFailed, "web:v1", true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clean := runCrashRelease(t, tc.failFrom, 0)
			if clean.final.Phase != tc.wantPhase || clean.image != tc.wantImage {
				t.Fatalf("uninterrupted: phase %s, primary image %s; want %s, %s", clean.final.Phase, clean.image, tc.wantPhase, tc.wantImage)
			}
			if msg := backwards(clean.weights); msg != "" {
				t.Fatalf("uninterrupted: %s (weights %v)", msg, clean.weights)
			}
			for k := 1; k <= clean.writes; k++ {
				run := runCrashRelease(t, tc.failFrom, k)
				if !run.crashed && k < clean.writes {
					t.Errorf("killed after write %d of %d: the controller never made write %d", k, clean.writes, k+1)
				}
				if run.final.Phase != tc.wantPhase || run.image != tc.wantImage {
					t.Errorf("killed after write %d: phase %s (%s), primary image %s; want %s, %s",
						k, run.final.Phase, run.final.Message, run.image, tc.wantPhase, tc.wantImage)
				}
				if msg := backwards(run.weights); msg != "" {
					t.Errorf("killed after write %d: %s (weights %v)", k, msg, run.weights)
				}
				got, want := distinct(run.weights), distinct(clean.weights)
				if tc.skips {
					want = subsequence(want, got)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("killed after write %d: canary weights (-uninterrupted +killed):\n%s", k, diff)
				}
			}
			t.Logf("%d kill points, weights %v", clean.writes, distinct(clean.weights))
		})
	}
}
