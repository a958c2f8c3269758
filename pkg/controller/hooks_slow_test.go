package controller

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// blockedHook is a release hook that answers only when the test lets it.
type blockedHook struct {
	server *httptest.Server
	// got receives every request as it arrives.
	got chan gates.HookRequest
	// answer, once closed, lets every request have its 204.
	answer chan struct{}
}

func startBlockedHook(t *testing.T) *blockedHook {
	h := &blockedHook{got: make(chan gates.HookRequest, 10), answer: make(chan struct{})}
	h.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req gates.HookRequest
		_ = json.NewDecoder(r.Body).Decode(&req)
		h.got <- req
		select {
		case <-h.answer:
			w.WriteHeader(http.StatusNoContent)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(h.server.Close)
	t.Cleanup(h.release) // before Close: Close waits for the handlers
	return h
}

func (h *blockedHook) release() {
	select {
	case <-h.answer:
	default:
		close(h.answer)
	}
}

// request waits for the next request the hook receives.
func (h *blockedHook) request(t *testing.T) gates.HookRequest {
	t.Helper()
	select {
	case req := <-h.got:
		return req
	case <-time.After(10 * time.Second):
		t.Fatal("the hook was not called")
		return gates.HookRequest{}
	}
}

// hookCaller is a gates.Evaluator allowed to call url.
func hookCaller(t *testing.T, url string) HookCaller {
	t.Helper()
	e, err := gates.NewEvaluator(gates.Options{WebhookAllow: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// reconcileReturns runs a reconcile of key as a worker would and fails the
// test if it holds the worker for 10 s of real time.
func (f *fixture) reconcileReturns(key string) time.Duration {
	f.t.Helper()
	f.refresh()
	f.log = nil
	type result struct {
		requeue time.Duration
		err     error
	}
	done := make(chan result, 1)
	go func() {
		requeue, err := f.c.reconcile(context.Background(), key)
		done <- result{requeue, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			f.t.Fatalf("reconcile %s: %v", key, r.err)
		}
		return r.requeue
	case <-time.After(10 * time.Second):
		f.t.Fatalf("the reconcile of %s held its worker for 10s", key)
		return 0
	}
}

// queued waits until key is queued again, and fails the test after 10 s.
func (f *fixture) queued(key string) {
	f.t.Helper()
	got := make(chan string, 1)
	go func() {
		k, _ := f.c.queue.Get()
		f.c.queue.Done(k)
		got <- k
	}()
	select {
	case k := <-got:
		if k != key {
			f.t.Fatalf("queued %q, want %q", k, key)
		}
	case <-time.After(10 * time.Second):
		f.t.Fatalf("%s was not queued again", key)
	}
}

// hookedWeb adopts web, with a pre-release hook at hook (hook-timeout
// 30s) and objects beside it, and walks the release of web:v2 to the
// call of that hook.
func hookedWeb(t *testing.T, hook *blockedHook, objects ...runtime.Object) *fixture {
	t.Helper()
	f := newFixture(t, append(objects, webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:          "5,50",
		config.Prefix + config.KeyHookPreRelease: hook.server.URL + "/pre",
		config.Prefix + config.KeyHookTimeout:    "30s",
	})))
	f.c.hooks = hookCaller(t, hook.server.URL)
	f.adopt()
	f.toCallingHook()
	return f
}

// toCallingHook walks the release of web:v2 to the pre-release hook.
func (f *fixture) toCallingHook() {
	f.t.Helper()
	f.setImage("web:v2", "h2")
	for i := 0; ; i++ {
		if i == 20 {
			f.t.Fatalf("the release never called its pre-release hook: %s", f.status().Message)
		}
		requeue := f.reconcileReturns("ns/web")
		if f.status().Reason == stepper.ReasonCallingHook {
			return // the clock stands still while the call is under way
		}
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		f.clock.Step(requeue)
	}
}

// api is a second opted-in Deployment beside web, with its Service.
func api() []runtime.Object {
	d := webDeployment(nil)
	d.Name, d.UID = "api", "uid-api"
	d.Spec.Selector.MatchLabels = map[string]string{"app": "api"}
	d.Spec.Template.Labels = map[string]string{"app": "api"}
	s := webService()
	s.Name, s.Spec.Selector = "api", map[string]string{"app": "api"}
	return []runtime.Object{d, s}
}

// TestASlowHookHoldsNoWorker gives web a pre-release hook that does not
// answer (hook-timeout 30s): the reconcile that calls it returns at once,
// another canary is adopted meanwhile, a reconcile of web while the call
// is under way calls nothing more, and the answer, once the hook gives
// it, queues web again and moves it to step 1.
func TestASlowHookHoldsNoWorker(t *testing.T) {
	hook := startBlockedHook(t)
	f := hookedWeb(t, hook, api()...)
	if st := f.status(); st.Step != 0 || st.Weight != 0 || len(st.Hooks) != 1 || st.Hooks[0].Result != stepper.HookPending {
		t.Fatalf("before the hook answered: step %d, weight %d, hooks %+v; want step 0, weight 0, the hook pending", st.Step, st.Weight, st.Hooks)
	}
	if req := hook.request(t); req.Hook != string(stepper.HookPreRelease) || req.Attempt != 1 {
		t.Fatalf("the hook got %s attempt %d, want pre-release attempt 1", req.Hook, req.Attempt)
	}

	for i := 0; ; i++ { // the other canary is served meanwhile
		if i == 10 {
			t.Fatal("api was not adopted while web's hook was called")
		}
		f.reconcileReturns("ns/api")
		f.markAvailable("api-primary")
		f.clock.Step(stepper.SubsetLead)
		if routed, _ := f.routing("api"); routed {
			break
		}
	}
	f.reconcileReturns("ns/web") // an event while the call is under way
	select {
	case req := <-hook.got:
		t.Fatalf("a second call (attempt %d) began while the first was under way", req.Attempt)
	default:
	}
	if st := f.status(); st.Step != 0 || st.Hooks[0].Attempts != 0 {
		t.Fatalf("before the hook answered: step %d, %d attempts recorded; want step 0, none", st.Step, st.Hooks[0].Attempts)
	}

	hook.release()
	f.queued("ns/web")
	f.reconcileReturns("ns/web")
	st := f.status()
	if st.Step != 1 || st.Weight == 0 || st.Hooks[0].Result != stepper.HookSucceeded || st.Hooks[0].Attempts != 1 {
		t.Errorf("after the hook answered: step %d, weight %d, hook %s after %d attempts; want step 1 with its weight, Succeeded after 1",
			st.Step, st.Weight, st.Hooks[0].Result, st.Hooks[0].Attempts)
	}
	if len(hook.got) != 0 {
		t.Errorf("the hook was called again once it answered")
	}
}

// TestAHookCallCutByARestartIsMadeAgainWithTheSameKey restarts the
// controller while the pre-release hook is being called: the answer was
// not recorded, so the new controller calls again, with the same
// idempotency key and attempt (at least once), and the release goes on
// with that call's answer.
func TestAHookCallCutByARestartIsMadeAgainWithTheSameKey(t *testing.T) {
	hook := startBlockedHook(t)
	f := hookedWeb(t, hook)
	caller := f.c.hooks
	first := hook.request(t)

	f.restart()
	f.c.hooks = caller
	f.reconcileReturns("ns/web")
	again := hook.request(t)
	if again.ID != first.ID || again.Attempt != first.Attempt {
		t.Errorf("after the restart the hook got id %s attempt %d, want the first call's %s attempt %d", again.ID, again.Attempt, first.ID, first.Attempt)
	}
	hook.release()
	f.queued("ns/web")
	// The new controller first saw the canary subset at its first
	// reconcile: step 1 waits stepper.SubsetLead from then.
	f.clock.Step(f.reconcileReturns("ns/web"))
	f.reconcileReturns("ns/web")
	if st := f.status(); st.Step != 1 || st.Hooks[0].Result != stepper.HookSucceeded {
		t.Errorf("after the second call answered: step %d, hook %s; want step 1, Succeeded", st.Step, st.Hooks[0].Result)
	}
}

// TestANewRevisionCutsThePreReleaseCallOfTheOldOneShort supersedes web:v2
// while its pre-release hook is being called: the call is cut short, its
// late answer moves nothing, and web:v3's own hook is called.
func TestANewRevisionCutsThePreReleaseCallOfTheOldOneShort(t *testing.T) {
	hook := startBlockedHook(t)
	f := hookedWeb(t, hook)
	old := hook.request(t)

	f.setImage("web:v3", "h3")
	for i := 0; ; i++ {
		if i == 20 {
			t.Fatalf("web:v3 never called its pre-release hook: %s", f.status().Message)
		}
		requeue := f.reconcileReturns("ns/web")
		if st := f.status(); st.Revision != old.Revision && st.Reason == stepper.ReasonCallingHook {
			break
		}
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		f.clock.Step(requeue)
	}
	f.queued("ns/web") // the old call, cut short, ended
	f.reconcileReturns("ns/web")
	req := hook.request(t)
	if req.Revision == old.Revision || req.Attempt != 1 {
		t.Fatalf("the hook got revision %s attempt %d, want the new revision's attempt 1", req.Revision, req.Attempt)
	}
	st := f.status()
	if st.Step != 0 || st.Weight != 0 || len(st.Hooks) != 1 || st.Hooks[0].Revision != req.Revision || st.Hooks[0].Attempts != 0 {
		t.Errorf("with the new revision's hook under way: step %d, weight %d, hooks %+v; want step 0, weight 0, its hook pending", st.Step, st.Weight, st.Hooks)
	}
}

// routing reports whether the VirtualService of name routes to its
// subsets.
func (f *fixture) routing(name string) (bool, int32) {
	f.t.Helper()
	f.refresh()
	vs, err := f.cs.vss.VirtualServices("ns").Get(name)
	if err != nil {
		return false, 0
	}
	return istio.ObserveRouting(vs, istio.Target{Namespace: "ns", Service: name, Deployment: name})
}
