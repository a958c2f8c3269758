package controller

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// recordingHooks answers every hook call with proceed and keeps the
// requests.
type recordingHooks struct{ calls []gates.HookRequest }

func (h *recordingHooks) CallHook(_ context.Context, _ string, _ time.Duration, req gates.HookRequest) gates.HookAnswer {
	h.calls = append(h.calls, req)
	return gates.HookAnswer{Outcome: gates.HookProceed}
}

func (*recordingHooks) CheckHooks(config.Hooks) config.Problems { return nil }

// TestHooksAreCalledOnceEachAcrossRestarts releases web:v2 with a
// pre-release and a post-promotion hook, restarting the controller after
// every reconcile that called a hook: each hook is called exactly once,
// because its outcome is in the status and not in the controller's memory.
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
	for range 60 {
		before := len(hooks.calls)
		requeue := f.reconcile()
		if len(hooks.calls) > before {
			f.restart()
			f.c.hooks = hooks
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
	var got []string
	for _, c := range hooks.calls {
		got = append(got, c.ID)
	}
	start := strconv.FormatInt(s.ReleaseStart.Unix(), 10)
	want := []string{"ns/web/" + s.Revision + "/pre-release/" + start, "ns/web/" + s.Revision + "/post-promotion/" + start}
	if !slices.Equal(got, want) {
		t.Errorf("hook calls %v, want each hook once: %v", got, want)
	}
}
