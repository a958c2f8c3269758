package controller

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// recordingHooks answers every hook call with proceed and keeps the
// requests.
type recordingHooks struct {
	mu    sync.Mutex
	calls []gates.HookRequest
}

func (h *recordingHooks) CallHook(_ context.Context, _ string, _ time.Duration, req gates.HookRequest) gates.HookAnswer {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, req)
	return gates.HookAnswer{Outcome: gates.HookProceed}
}

func (*recordingHooks) CheckHooks(config.Hooks) config.Problems { return nil }

// ids lists the idempotency keys of the calls, in order.
func (h *recordingHooks) ids() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ids []string
	for _, c := range h.calls {
		ids = append(ids, c.ID)
	}
	return ids
}

// hookCallsEnded waits until every hook call the controller started has
// ended, and fails the test after 10 s of real time.
func (f *fixture) hookCallsEnded() {
	f.t.Helper()
	giveUp := time.Now().Add(10 * time.Second)
	for {
		f.c.mu.Lock()
		running := 0
		for _, calls := range f.c.hookCalls {
			for _, hc := range calls {
				if !hc.finished {
					running++
				}
			}
		}
		f.c.mu.Unlock()
		if running == 0 {
			return
		}
		if time.Now().After(giveUp) {
			f.t.Fatalf("%d hook calls still under way after 10s", running)
		}
		time.Sleep(time.Millisecond)
	}
}

// hookRecords is the hook part of the status of ns/web.
func (f *fixture) hookRecords() []stepper.HookState { return f.status().Hooks }

// TestHooksAreCalledOnceEachAcrossRestarts releases web:v2 with a
// pre-release and a post-promotion hook, restarting the controller after
// every reconcile that wrote a hook's answer into the status: each hook is
// called exactly once, because its outcome is in the status and not in
// the controller's memory.
func TestHooksAreCalledOnceEachAcrossRestarts(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:             "5,50",
		config.Prefix + config.KeyHookPreRelease:    "http://hooks.example/pre",
		config.Prefix + config.KeyHookPostPromotion: "http://hooks.example/post",
	})})
	hooks := &recordingHooks{}
	f.c.hooks = hooks
	f.adopt()
	f.setImage("web:v2", "h2")
	restarts := 0
	for range 60 {
		before := f.hookRecords()
		requeue := f.reconcile()
		f.hookCallsEnded()
		if answered(before) < answered(f.hookRecords()) {
			f.restart()
			f.c.hooks = hooks
			restarts++
		}
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		if p := f.deployment("web-primary"); p.Annotations[config.RevisionAnnotation] != f.status().StableRevision {
			f.markAvailable("web-primary")
		}
		f.clock.Step(max(requeue, time.Second))
	}
	s := f.status()
	if s.Phase != stepper.PhaseSucceeded {
		t.Fatalf("release ended %s (%s), want Succeeded", s.Phase, s.Message)
	}
	start := strconv.FormatInt(s.ReleaseStart.Unix(), 10)
	want := []string{"ns/web/" + s.Revision + "/pre-release/" + start, "ns/web/" + s.Revision + "/post-promotion/" + start}
	if got := hooks.ids(); !slices.Equal(got, want) {
		t.Errorf("hook calls %v, want each hook once: %v", got, want)
	}
	if restarts != 2 {
		t.Errorf("%d restarts, want one after each hook's answer was written", restarts)
	}
}

// answered counts the attempts recorded in hooks.
func answered(hooks []stepper.HookState) int {
	n := 0
	for _, st := range hooks {
		n += st.Attempts
	}
	return n
}
