//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestReleaseHooks runs three canaries against one hook server. The first
// has every hook: its pre-release hook is called before any weight moves,
// its post-promotion hook once the primary runs the revision and takes all
// traffic, and, for a second release aborted at step 1, its post-rollback
// hook once the weight is back at 0. The second's pre-release hook refuses:
// the release ends Failed with the hook's reason and the weights never
// move. The third's post-promotion hook answers HTTP 500: it is retried,
// reported failed, and the promotion stays. It runs alone: it replaces the
// shared controller with one allowed to call the hook server.
func TestReleaseHooks(t *testing.T) {
	hooks := startHookServer(t)
	url := hooks.server.URL
	startWebhookController(t, url)
	a := newApp(t, "hooks").StepInterval("2s").Set(config.KeyHookPreRelease, url+"/ok/pre").
		Set(config.KeyHookPostPromotion, url+"/ok/promoted").Set(config.KeyHookPostRollback, url+"/ok/rolled-back").Create()
	b := newApp(t, "hooks-refused").StepInterval("2s").Set(config.KeyHookPreRelease, url+"/refuse/pre").
		Set(config.KeyHookPostRollback, url+"/ok/rolled-back").Create()
	c := newApp(t, "hooks-post-fails").StepInterval("2s").Set(config.KeyHookPostPromotion, url+"/fail/promoted").
		Set(config.KeyHookRetries, "1").Create()
	released := time.Now()
	revA, revB, revC := a.SetImage("example.com/web:v2"), b.SetImage("example.com/web:v2"), c.SetImage("example.com/web:v2")

	a.waitPhase(revA, stepper.PhaseSucceeded)
	a.waitHook(stepper.HookPostPromotion, stepper.HookSucceeded)
	for _, v := range a.rec.statusHistory() {
		if s := v.Status; s.Revision == revA && s.Weight > 0 && hookOf(s, stepper.HookPreRelease).Result != stepper.HookSucceeded {
			t.Errorf("weight %d at step %d before the pre-release hook succeeded: %s", s.Weight, s.Step, v.Raw)
		}
	}
	revA3 := a.SetImage("example.com/web:v3")
	a.waitStep(revA3, 1)
	a.Annotate(config.CommandAnnotation, "abort/1")
	a.waitPhase(revA3, stepper.PhaseFailed)
	a.waitHook(stepper.HookPostRollback, stepper.HookSucceeded)
	calls := hooks.callsOf(a.ns)
	checkHookCalls(t, a, calls, []string{"pre-release " + revA, "post-promotion " + revA, "pre-release " + revA3, "post-rollback " + revA3})
	if len(calls) == 4 {
		if p := calls[1]; p.Req.Phase != string(stepper.PhaseSucceeded) || p.PrimaryRevision != revA || p.Req.StableRevision != revA {
			t.Errorf("post-promotion hook called in phase %s with the primary at %q (stable %q), want Succeeded with the primary at %s",
				p.Req.Phase, p.PrimaryRevision, p.Req.StableRevision, revA)
		}
		if p := calls[3]; p.Req.Phase != string(stepper.PhaseFailed) || p.Req.Reason != stepper.ReasonAborted {
			t.Errorf("post-rollback hook called in phase %s, reason %s; want Failed, %s", p.Req.Phase, p.Req.Reason, stepper.ReasonAborted)
		}
	}

	final := b.waitPhase(revB, stepper.PhaseFailed)
	if final.Reason != stepper.ReasonHookRefused || !strings.Contains(final.Message, "change freeze until Monday") {
		t.Errorf("refused release ended %s: %s; want %s with the hook's reason", final.Reason, final.Message, stepper.ReasonHookRefused)
	}
	b.waitEvent(corev1.EventTypeWarning, stepper.ReasonHookRefused, func() error { return nil })
	b.waitHook(stepper.HookPostRollback, stepper.HookSucceeded)
	for _, v := range b.rec.vsHistory(appName) {
		if v.VS == nil {
			continue
		}
		if _, w := istio.ObserveRouting(v.VS, istio.Target{Namespace: b.ns, Service: appName, Deployment: appName}); w != 0 {
			t.Errorf("the refused release moved weight %d to the canary", w)
		}
	}
	checkHookCalls(t, b, hooks.callsOf(b.ns), []string{"pre-release " + revB, "post-rollback " + revB})
	if n := b.rec.traffic.between(released, time.Now()); n.Workloads[appName] > 0 || n.Requests == 0 {
		t.Errorf("the refused release: %d of %d requests reached the canary, want 0 of some", n.Workloads[appName], n.Requests)
	}

	c.waitPhase(revC, stepper.PhaseSucceeded)
	failed := c.waitHook(stepper.HookPostPromotion, stepper.HookFailed)
	c.waitEvent(corev1.EventTypeWarning, stepper.ReasonHookFailed, func() error { return nil })
	if h := hookOf(failed, stepper.HookPostPromotion); h.Attempts != 2 || !strings.Contains(h.Message, "HTTP 500") {
		t.Errorf("failed post-promotion hook recorded %d attempts (%s), want 2 ending in HTTP 500", h.Attempts, h.Message)
	}
	if failed.Phase != stepper.PhaseSucceeded || failed.StableRevision != revC || c.deployment("web-primary").Annotations[config.RevisionAnnotation] != revC {
		t.Errorf("a failed post-promotion hook undid the promotion: phase %s, stable %s", failed.Phase, failed.StableRevision)
	}
	checkHookCalls(t, c, hooks.callsOf(c.ns), []string{"post-promotion " + revC, "post-promotion " + revC})
}

// waitHook waits until the status records hook h with result want.
func (a *app) waitHook(h stepper.Hook, want stepper.HookResult) stepper.Status {
	a.t.Helper()
	return a.waitStatus(fmt.Sprintf("the %s hook to be %s", h, want), func(s stepper.Status) (bool, error) {
		return hookOf(s, h).Result == want, nil
	})
}

// hookOf is the record of hook h in s, empty when there is none.
func hookOf(s stepper.Status, h stepper.Hook) stepper.HookState {
	for _, st := range s.Hooks {
		if st.Hook == h {
			return st
		}
	}
	return stepper.HookState{}
}

// checkHookCalls checks that the hook server got the calls want ("hook
// revision", in order) about a's Deployment, with the documented payload:
// the idempotency key, attempts counted from 1 with one key per hook of a
// release, and weight 0 on the VirtualService at the moment of every call.
func checkHookCalls(t *testing.T, a *app, calls []hookCall, want []string) {
	t.Helper()
	got := make([]string, len(calls))
	ids := map[string]int{}
	for i, c := range calls {
		got[i] = c.Req.Hook + " " + c.Req.Revision
		id := fmt.Sprintf("%s/%s/%s/%s/%d", a.ns, appName, c.Req.Revision, c.Req.Hook, c.Req.ReleaseStart.Unix())
		ids[id]++
		if c.Req.ID != id || c.Req.Attempt != ids[id] || c.Req.Deployment != appName || c.Req.Service != appName ||
			c.Req.Annotations[config.Prefix+config.KeySteps] != "20,50" {
			t.Errorf("%s: call %d %+v: want id %s, attempt %d, deployment and service %s, the annotations", a.ns, i, c.Req, id, ids[id], appName)
		}
		if c.Weight != 0 {
			t.Errorf("%s: %s hook called while the VirtualService gave the canary weight %d", a.ns, c.Req.Hook, c.Weight)
		}
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("%s: hooks called: %v, want %v", a.ns, got, want)
	}
}

// TestAHookOutsideTheAllowlistIsInvalidConfig gives a canary a pre-release
// hook the shared controller may not call (it allows no webhook URL) and
// releases a new revision: the configuration error names the key, the
// value and what is valid, a Warning Event says it, and the release does
// not start, so no weight moves.
func TestAHookOutsideTheAllowlistIsInvalidConfig(t *testing.T) {
	t.Parallel()
	a := newApp(t, "hook-not-allowed").Create()
	const url = "https://hooks.example.com/pre"
	a.Annotate(config.Prefix+config.KeyHookPreRelease, url)
	a.SetImage("example.com/web:v2")
	s := a.waitStatus("the configuration error", func(s stepper.Status) (bool, error) { return s.ConfigError != "", nil })
	want := fmt.Sprintf("annotation %s%s=%q: no webhook URL is allowed", config.Prefix, config.KeyHookPreRelease, url)
	if !strings.HasPrefix(s.ConfigError, want) || !strings.Contains(s.ConfigError, "--gate-webhook-allow") {
		t.Errorf("configError %q, want it to start with %q and name the flag that allows URLs", s.ConfigError, want)
	}
	a.waitEvent(corev1.EventTypeWarning, stepper.ReasonInvalidConfig, func() error { return nil })
	for _, v := range a.rec.statusHistory() {
		switch v.Status.Phase {
		case "", stepper.PhaseInitializing, stepper.PhaseReady: // no status yet, adoption
		default:
			t.Errorf("status %s while the hook was not allowed, want Ready", v.Status.Phase)
		}
		if v.Status.Weight != 0 {
			t.Errorf("weight %d while the hook was not allowed, want 0", v.Status.Weight)
		}
	}
}
