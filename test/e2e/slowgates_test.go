//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// webhookDelay is how long the slow webhooks take to answer: longer than
// the gate deadline (2s), shorter than the webhook timeout (10s).
const webhookDelay = 8 * time.Second

// TestSlowWebhooksDelayNeitherOtherCanariesNorAnAbort runs a controller
// with a single worker. Canary A has three webhook gates that each answer
// after 8s; canary B has no gates and steps every 3s. Before issue 10 A's
// reconciles held the only worker for 24s per check (the webhooks called
// one after another, on the reconcile path), so B's steps came late and
// A's abort waited. Now a reconcile waits 2s at most: B keeps its schedule,
// A's webhooks, called together, still pass its step when they answer, and
// A's abort rolls it back at once. It runs alone: it replaces the shared
// controller.
func TestSlowWebhooksDelayNeitherOtherCanariesNorAnAbort(t *testing.T) {
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(webhookDelay):
			_, _ = fmt.Fprintf(w, `{"result":"pass","reason":"approved after %s"}`, webhookDelay)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(hooks.Close)
	startWebhookController(t, hooks.URL, "--workers", "1")

	const bStep = 3 * time.Second
	a := newApp(t, "slow-gates-a").Steps("20,50").StepInterval("4s").
		Set("gate.webhook.one", hooks.URL+"/one").Set("gate.webhook.two", hooks.URL+"/two").
		Set("gate.webhook.three", hooks.URL+"/three").Create()
	b := newApp(t, "slow-gates-b").Steps("10,20,30,40").StepInterval(bStep.String()).Create()
	revA := a.SetImage("example.com/web:v2")
	revB := b.SetImage("example.com/web:v2")

	atStep2 := a.waitStep(revA, 2) // the webhooks' late answers passed step 1
	aborted := time.Now()
	a.Annotate(config.CommandAnnotation, "abort/1")
	final := a.waitPhase(revA, stepper.PhaseFailed)
	if final.Reason != stepper.ReasonAborted {
		t.Errorf("A ended %s (%s), want %s", final.Reason, final.Message, stepper.ReasonAborted)
	}
	for _, v := range a.rec.statusHistory() {
		if v.Status.Revision == revA && v.Status.Phase != stepper.PhaseProgressing && v.At.After(aborted) {
			took := v.At.Sub(aborted)
			if took > 8*time.Second {
				t.Errorf("A's abort took %s to leave Progressing while its webhooks were answering; want it at once", took.Round(time.Millisecond))
			}
			t.Logf("A's abort left Progressing after %s", took.Round(time.Millisecond))
			break
		}
	}
	if !hasVerdict(atStep2, gates.Pass, "approved after") {
		t.Errorf("A's step 2 began without the webhooks' verdicts: %v", atStep2.Verdicts)
	}

	b.waitPhase(revB, stepper.PhaseSucceeded)
	var prev time.Time
	var latest time.Duration
	for _, v := range b.rec.statusHistory() {
		s := v.Status
		if s.Revision != revB || s.Phase != stepper.PhaseProgressing || s.StepStart == nil || s.StepStart.Equal(prev) {
			continue
		}
		if !prev.IsZero() && s.Step > 1 {
			late := s.StepStart.Sub(prev) - bStep
			if late > 5*time.Second {
				t.Errorf("B's step %d began %s after its bake time was over, while A's webhooks were answering", s.Step, late.Round(time.Millisecond))
			}
			latest = max(latest, late)
		}
		prev = *s.StepStart
	}
	t.Logf("B's latest step began %s after its bake time", latest.Round(time.Millisecond))
}

// TestALongWebhookReasonIsCutInTheStatus has a webhook fail the canary with
// a reason of nearly 64 KiB: the verdict in the status keeps its first 512
// bytes at most, ending with "…", and the release rolls back. Before issue
// 10 the whole reason went into the status annotation, which could then
// outgrow the API's limit and fail every status write. It runs alone: it
// replaces the shared controller.
func TestALongWebhookReasonIsCutInTheStatus(t *testing.T) {
	reason := strings.Repeat("the canary breaks checkout ✗ ", (64<<10-100)/len("the canary breaks checkout ✗ "))
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"result":"fail","reason":"`+reason+`"}`)
	}))
	t.Cleanup(hooks.Close)
	startWebhookController(t, hooks.URL)

	a := newApp(t, "long-reason").Steps("50").StepInterval("4s").
		Set("gate.webhook.checkout", hooks.URL+"/checkout").Set(config.KeyMaxFailedChecks, "1").Create()
	rev := a.SetImage("example.com/web:v2")
	final := a.waitPhase(rev, stepper.PhaseFailed)

	seen := false
	for _, v := range a.rec.statusHistory() {
		for _, verdict := range v.Status.Verdicts {
			if verdict.Gate != "webhook.checkout" {
				continue
			}
			seen = true
			if len(verdict.Reason) > 512 || !strings.HasSuffix(verdict.Reason, "…") || !strings.HasPrefix(reason, strings.TrimSuffix(verdict.Reason, "…")) {
				t.Errorf("verdict reason of %d bytes in the status, want the webhook's first bytes cut to 512 with …: %.80q…", len(verdict.Reason), verdict.Reason)
			}
		}
		if len(v.Raw) > 8<<10 {
			t.Errorf("status annotation of %d bytes", len(v.Raw))
		}
	}
	if !seen {
		t.Errorf("no status recorded the webhook's verdict; final status: %s: %s", final.Reason, final.Message)
	}
}

// startWebhookController stops the shared controller and starts one that
// may call webhooks under allow, with extra arguments, in its place until
// the end of the test.
func startWebhookController(t *testing.T, allow string, args ...string) {
	t.Helper()
	shared := env.controller
	shared.Stop()
	ctrl, err := env.cluster.StartMeshcanary(cluster.MeshcanaryOptions{
		Name: "meshcanary-" + strings.ToLower(t.Name()),
		Args: append([]string{"--log-level", "debug", "--gate-webhook-allow", allow}, args...),
	})
	if err != nil {
		must(t, "restarting the shared controller", shared.Start())
		t.Fatalf("starting the controller for webhooks: %v", err)
	}
	env.controller = ctrl
	t.Cleanup(func() {
		ctrl.Stop()
		env.controller = shared
		must(t, "restarting the shared controller", shared.Start())
	})
}
