package gates

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

func TestWebhookAnswersBecomeVerdicts(t *testing.T) {
	for name, c := range map[string]struct {
		status int
		body   string
		delay  time.Duration
		want   Result
		reason string
	}{
		"pass":                             {200, `{"result":"pass","reason":"approved by alice"}`, 0, Pass, "approved by alice"},
		"fail":                             {200, `{"result":"FAIL","reason":"users complain"}`, 0, Fail, "users complain"},
		"hold":                             {200, `{"result":"hold","reason":"waiting for approval"}`, 0, Hold, "waiting for approval"},
		"an unknown result holds":          {200, `{"result":"maybe"}`, 0, Hold, `webhook answered result "maybe"; expected pass, hold or fail`},
		"an answer that is not JSON holds": {200, `approved`, 0, Hold, `webhook answer is not {"result": ..., "reason": ...}`},
		"an HTTP error holds":              {500, `{"result":"pass"}`, 0, Hold, "webhook answered HTTP 500"},
		"a redirect is not followed":       {302, ``, 0, Hold, "webhook answered HTTP 302"},
		"a slow webhook holds":             {200, `{"result":"pass"}`, 300 * time.Millisecond, Hold, "webhook call failed"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(c.delay)
				if c.status == 302 {
					w.Header().Set("Location", "http://169.254.169.254/")
				}
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.body)
			}))
			defer srv.Close()
			hooks, err := newWebhooks([]string{srv.URL}, 100*time.Millisecond, time.Second, clocktesting.NewFakeClock(t0))
			if err != nil {
				t.Fatal(err)
			}
			v := hooks.call(context.Background(), Spec{Name: "webhook.approval", Kind: KindWebhook, URL: srv.URL + "/approve"}, release("web", t0))
			if v.Result != c.want || !strings.HasPrefix(v.Reason, c.reason) || v.Gate != "webhook.approval" {
				t.Errorf("verdict %+v, want %s with reason %q", v, c.want, c.reason)
			}
		})
	}
}

func TestWebhookReceivesTheRelease(t *testing.T) {
	var got WebhookRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		_, _ = io.WriteString(w, `{"result":"pass"}`)
	}))
	defer srv.Close()
	e, err := NewEvaluator(Options{WebhookAllow: []string{srv.URL + "/hooks"}})
	if err != nil {
		t.Fatal(err)
	}
	r := release("web", t0.Add(time.Minute))
	r.Annotations = map[string]string{"meshcanary.io/steps": "5,50", "meshcanary.io/status": "{}", "team": "shop"}
	s := specs(t, map[string]string{GatePrefix + "webhook.approval": srv.URL + "/hooks/approve"})
	if v := e.Evaluate(context.Background(), s, r); v[0].Result != Pass {
		t.Fatalf("verdict %+v", v[0])
	}
	want := WebhookRequest{Gate: "webhook.approval", Namespace: "shop", Deployment: "web", Primary: "web-primary", Service: "web",
		Revision: "r1", Step: 1, CanaryWeight: 5, Total: 100, StepStart: t0, Now: t0.Add(time.Minute),
		Annotations: map[string]string{"meshcanary.io/steps": "5,50"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

func TestOnlyAllowedWebhooksAreCalled(t *testing.T) {
	hooks, err := newWebhooks([]string{"https://hooks.example.com/meshcanary", "http://approvals.internal:8080"}, time.Second, time.Second, clocktesting.NewFakeClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	for url, want := range map[string]bool{
		"https://hooks.example.com/meshcanary":              true,
		"https://hooks.example.com/meshcanary/approve?x=1":  true,
		"https://HOOKS.example.com/meshcanary/approve":      true,
		"http://approvals.internal:8080/any/path":           true,
		"https://hooks.example.com/meshcanaryx":             false,
		"https://hooks.example.com/other":                   false,
		"https://hooks.example.com/meshcanary/../admin":     false,
		"https://hooks.example.com/meshcanary/%2e%2e/admin": false,
		"http://hooks.example.com/meshcanary":               false,
		"https://hooks.example.com.evil.test/meshcanary":    false,
		"https://hooks.example.com@evil.test/meshcanary":    false,
		"https://user@hooks.example.com/meshcanary":         false,
		"http://approvals.internal/any/path":                false,
		"http://approvals.internal:8081/":                   false,
		"http://169.254.169.254/latest/meta-data":           false,
		"://not a url": false,
	} {
		if got := hooks.allowed(url); got != want {
			t.Errorf("allowed(%q) = %v, want %v", url, got, want)
		}
	}
}

func TestCheckReportsWebhooksTheOperatorDidNotAllow(t *testing.T) {
	e, err := NewEvaluator(Options{PrometheusURL: "http://127.0.0.1:9090", WebhookAllow: []string{"https://hooks.example.com/"}})
	if err != nil {
		t.Fatal(err)
	}
	s := specs(t, map[string]string{
		GatePrefix + "webhook.ok":   "https://hooks.example.com/approve",
		GatePrefix + "webhook.evil": "http://169.254.169.254/latest",
		GatePrefix + KeyErrorRate:   "max=1%",
	})
	probs := e.Check(s)
	if len(probs) != 1 || probs[0].Key != GatePrefix+"webhook.evil" || probs[0].Value != "http://169.254.169.254/latest" ||
		!strings.Contains(probs[0].Valid, "https://hooks.example.com/") {
		t.Errorf("Check = %v", probs)
	}
	v := e.Evaluate(context.Background(), s[1:2], release("web", t0))
	if s[1].Name != "webhook.evil" || v[0].Result != Hold || !strings.HasPrefix(v[0].Reason, "webhook URL not allowed") {
		t.Errorf("Evaluate of a disallowed webhook: %+v", v)
	}
}

func TestNewEvaluatorRejectsABadAllowPrefix(t *testing.T) {
	for _, p := range []string{"hooks.example.com", "ftp://hooks.example.com", "https://u:p@hooks.example.com", "https://hooks.example.com/?q=1"} {
		if _, err := NewEvaluator(Options{WebhookAllow: []string{p}}); err == nil {
			t.Errorf("prefix %q accepted", p)
		}
	}
}
