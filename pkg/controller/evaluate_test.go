package controller

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/workqueue"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// slowGates answers a Fail once the test lets it, as a webhook that takes
// its time would; calls counts the evaluations begun.
type slowGates struct {
	answer chan struct{}
	calls  chan gates.Release
}

func (g slowGates) Evaluate(_ context.Context, _ gates.Specs, r gates.Release) []gates.Verdict {
	g.calls <- r
	<-g.answer
	return []gates.Verdict{{Gate: "webhook.slow", Result: gates.Fail, Reason: "users complain"}}
}

func (slowGates) Check(gates.Specs) config.Problems { return nil }
func (slowGates) Forget(string, string)             {}

// reconcileWithin runs a reconcile of ns/web, stepping the fake clock
// past the gate deadline whenever a timer waits on it, and fails the test
// if the reconcile has not returned after 10 s of real time.
func (f *fixture) reconcileWithin(stepDeadline bool) {
	f.t.Helper()
	f.refresh()
	done := make(chan error, 1)
	go func() {
		_, err := f.c.reconcile(context.Background(), "ns/web")
		done <- err
	}()
	giveUp := time.After(10 * time.Second)
	for {
		select {
		case err := <-done:
			if err != nil {
				f.t.Fatalf("reconcile: %v", err)
			}
			return
		case <-giveUp:
			f.t.Fatal("the reconcile waited for the gates for 10s")
		case <-time.After(time.Millisecond):
			if stepDeadline && f.clock.HasWaiters() {
				f.clock.Step(f.c.gateDeadline)
			}
		}
	}
}

func TestGatesSlowerThanTheDeadlineAreJudgedWhenTheyAnswerWithoutHoldingAWorker(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:           "20,50",
		config.Prefix + config.KeyMaxFailedChecks: "1",
		"meshcanary.io/gate.webhook.slow":         "http://gates.example/slow",
	})})
	g := slowGates{answer: make(chan struct{}), calls: make(chan gates.Release, 10)}
	f.c.gates, f.c.gateDeadline = g, 2*time.Second
	f.c.queue = workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer f.c.queue.ShutDown()
	f.adopt()
	f.setImage("web:v2", "h2")
	for st := (stepper.Status{}); st.Step < 1; st = f.status() {
		requeue := f.reconcile()
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		f.clock.Step(requeue)
	}

	f.reconcileWithin(true) // waits the gate deadline, no longer
	if r := <-g.calls; r.Step != 1 {
		t.Errorf("gates asked about step %d, want 1", r.Step)
	}
	if st := f.status(); st.Phase != stepper.PhaseProgressing || st.FailedChecks != 0 || len(st.Verdicts) != 0 {
		t.Errorf("after a reconcile cut short by the gate deadline: %s, %d failed checks, verdicts %v; want the step not judged",
			st.Phase, st.FailedChecks, st.Verdicts)
	}
	f.reconcileWithin(false) // another reconcile (an event, a command) does not wait at all
	if len(g.calls) != 0 {
		t.Errorf("a second evaluation began while the first was running")
	}
	if n := f.c.queue.Len(); n != 0 {
		t.Fatalf("%d items queued before the gates answered", n)
	}

	close(g.answer)
	f.queued("ns/web")
	f.reconcileWithin(false)
	st := f.status()
	if st.FailedChecks != 1 || len(st.Verdicts) != 1 || st.Verdicts[0].Reason != "users complain" {
		t.Errorf("after the gates answered: %d failed checks, verdicts %v; want their Fail counted", st.FailedChecks, st.Verdicts)
	}
	if len(g.calls) != 0 {
		t.Errorf("the answer was not used: the gates were asked again")
	}
}

// timedGates pass every step after took of the fixture's fake clock, as
// a webhook that answers within the gate deadline but not at once.
type timedGates struct {
	clock *clocktesting.FakeClock
	took  time.Duration
}

func (g timedGates) Evaluate(_ context.Context, _ gates.Specs, _ gates.Release) []gates.Verdict {
	g.clock.Step(g.took)
	return []gates.Verdict{{Gate: "webhook.slow", Result: gates.Pass, Reason: "fine"}}
}

func (timedGates) Check(gates.Specs) config.Problems { return nil }
func (timedGates) Forget(string, string)             {}

// TestTheNextStepBakesFromTheWriteOfItsWeightNotFromBeforeTheGatesAnswered:
// the gates of a step are asked when it is due, and the next step is
// decided on their answer; its bake time starts with that decision, which
// writes its weight, not when the gates were asked: a webhook that takes
// 1.5 s of a 2 s gate deadline must not take 1.5 s off the next step.
func TestTheNextStepBakesFromTheWriteOfItsWeightNotFromBeforeTheGatesAnswered(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:        "20,60",
		config.Prefix + config.KeyStepInterval: "1m",
		"meshcanary.io/gate.webhook.slow":      "http://gates.example/slow",
	})})
	took := 1500 * time.Millisecond
	f.c.gates, f.c.gateDeadline = timedGates{clock: f.clock, took: took}, 2*time.Second
	f.adopt()
	f.setImage("web:v2", "h2")
	for i := 0; i < 20 && f.status().Step < 1; i++ {
		requeue := f.reconcile()
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		f.clock.Step(requeue)
	}
	st := f.status()
	if st.Step != 1 {
		t.Fatalf("the release did not reach step 1: %s %s", st.Phase, st.Message)
	}

	due := st.StepStart.Add(time.Minute)
	f.clock.SetTime(due)
	f.reconcile()
	written := f.clock.Now()
	st = f.status()
	if st.Step != 2 {
		t.Fatalf("step %d once step 1 was due and its gates passed, want step 2", st.Step)
	}
	if _, w := istio.ObserveRouting(f.virtualService(), webTarget); w != 60 {
		t.Fatalf("the home VirtualService routes weight %d to the canary, want 60", w)
	}
	if !st.StepStart.Equal(written) {
		t.Errorf("step 2, written %s after step 1 was due (the gates took that long), starts %s after it was due; want it to start at its write",
			written.Sub(due), st.StepStart.Sub(due))
	}

	// A minute after step 1 was due, step 2 has carried its weight for
	// less than a minute.
	f.clock.SetTime(due.Add(time.Minute + time.Second))
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing || st.Step != 2 {
		t.Errorf("%s after its weight was written, step 2 of a minute is over: %s step %d",
			f.clock.Now().Sub(written), st.Phase, st.Step)
	}
}
