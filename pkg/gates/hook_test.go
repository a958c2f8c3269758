package gates

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
)

func TestHookAnswers(t *testing.T) {
	for name, c := range map[string]struct {
		status int
		body   string
		delay  time.Duration
		want   HookOutcome
		reason string
	}{
		"an empty 2xx answer proceeds":      {204, ``, 0, HookProceed, ""},
		"proceed with a reason":             {200, `{"result":"proceed","reason":"load started"}`, 0, HookProceed, "load started"},
		"refuse":                            {200, `{"result":"REFUSE","reason":"change freeze"}`, 0, HookRefuse, "change freeze"},
		"an unknown result is an error":     {200, `{"result":"maybe"}`, 0, HookError, `hook answered result "maybe"`},
		"an answer that is not JSON errors": {200, `ok`, 0, HookError, `hook answer is neither empty nor`},
		"an HTTP error is an error":         {503, `{"result":"proceed"}`, 0, HookError, "hook answered HTTP 503"},
		"a redirect is not followed":        {302, ``, 0, HookError, "hook answered HTTP 302"},
		"a slow hook times out":             {200, ``, 300 * time.Millisecond, HookError, "hook call failed"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := answeringServer(t, c.status, c.body, c.delay)
			a := allowingEvaluator(t, srv.URL).CallHook(context.Background(), srv.URL+"/hook", 100*time.Millisecond, HookRequest{ID: "x"})
			if a.Outcome != c.want || !strings.HasPrefix(a.Reason, c.reason) {
				t.Errorf("answer %+v, want %s with reason %q", a, c.want, c.reason)
			}
		})
	}
}

func TestHookReceivesTheRequestWithItsIdempotencyKey(t *testing.T) {
	var got HookRequest
	var key string
	srv := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		key = r.Header.Get("Idempotency-Key")
		_ = json.NewDecoder(r.Body).Decode(&got)
	})
	e := allowingEvaluator(t, srv.URL+"/hooks")
	want := HookRequest{ID: "shop/web/r1/pre-release/1741000000", Hook: "pre-release",
		Subject: Subject{Namespace: "shop", Deployment: "web", Revision: "r1"}, Attempt: 2, Attempts: 4, ReleaseStart: t0, Now: t0.Add(time.Minute)}
	if a := e.CallHook(context.Background(), srv.URL+"/hooks/pre", time.Second, want); a.Outcome != HookProceed {
		t.Fatalf("answer %+v, want proceed", a)
	}
	if d := cmp.Diff(want, got); d != "" || key != want.ID {
		t.Errorf("request (-want +got):\n%s\nIdempotency-Key %q", d, key)
	}
}

func TestHooksFollowTheWebhookAllowlist(t *testing.T) {
	e := allowingEvaluator(t, "https://hooks.example.com/ok")
	probs := e.CheckHooks(config.Hooks{PreRelease: "https://hooks.example.com/ok/pre", PostRollback: "https://evil.test/ok"})
	want := config.Problems{{Key: "meshcanary.io/hook-post-rollback", Value: "https://evil.test/ok",
		Valid: "a URL under one of the prefixes the operator allowed: https://hooks.example.com/ok"}}
	if d := cmp.Diff(want, probs); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	if a := e.CallHook(context.Background(), "https://evil.test/ok", time.Second, HookRequest{}); a.Outcome != HookError ||
		!strings.HasPrefix(a.Reason, "hook URL not allowed") {
		t.Errorf("a URL outside the allowlist was called: %+v", a)
	}
}
