package gates

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

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
			srv := answeringServer(t, c.status, c.body, c.delay)
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
	srv := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s with %q", r.Method, r.Header.Get("Content-Type"))
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		_, _ = io.WriteString(w, `{"result":"pass"}`)
	})
	e := allowingEvaluator(t, srv.URL+"/hooks")
	r := release("web", t0.Add(time.Minute))
	r.Annotations = map[string]string{"meshcanary.io/steps": "5,50", "meshcanary.io/status": "{}", "team": "shop"}
	s := specs(t, map[string]string{GatePrefix + "webhook.approval": srv.URL + "/hooks/approve"})
	if v := e.Evaluate(context.Background(), s, r); v[0].Result != Pass {
		t.Fatalf("verdict %+v", v[0])
	}
	want := WebhookRequest{Gate: "webhook.approval",
		Subject: Subject{Namespace: "shop", Deployment: "web", Primary: "web-primary", Service: "web", Revision: "r1"}, Step: 1, CanaryWeight: 5, Total: 100, StepStart: t0, Now: t0.Add(time.Minute),
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

func TestWebhooksOfOneCanaryAreCalledConcurrently(t *testing.T) {
	const hooks = 3
	var mu sync.Mutex
	arrived, all := 0, make(chan struct{})
	srv := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if arrived++; arrived == hooks {
			close(all)
		}
		mu.Unlock()
		select { // each call answers only once every call has arrived
		case <-all:
			_, _ = io.WriteString(w, `{"result":"pass"}`)
		case <-time.After(5 * time.Second):
			_, _ = io.WriteString(w, `{"result":"hold","reason":"called one after another"}`)
		}
	})
	e := allowingEvaluator(t, srv.URL)
	s := specs(t, map[string]string{
		GatePrefix + "webhook.a": srv.URL + "/a", GatePrefix + "webhook.b": srv.URL + "/b", GatePrefix + "webhook.c": srv.URL + "/c",
	})
	for _, v := range e.Evaluate(context.Background(), s, release("web", t0)) {
		if v.Result != Pass {
			t.Errorf("verdict %+v, want Pass", v)
		}
	}
}

func TestASlowWebhookHoldsAndItsAnswerServesTheNextCheck(t *testing.T) {
	var calls atomic.Int32
	answer := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-answer
		_, _ = io.WriteString(w, `{"result":"pass","reason":"approved"}`)
	}))
	defer srv.Close()
	defer close(answer)
	clk := clocktesting.NewFakeClock(t0)
	e, err := NewEvaluator(Options{WebhookAllow: []string{srv.URL}, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	s := specs(t, map[string]string{GatePrefix + "webhook.approval": srv.URL + "/approve"})

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	returned := make(chan []Verdict)
	go func() { returned <- e.Evaluate(ctx, s, release("web", t0)) }()
	select {
	case v := <-returned:
		if v[0].Result != Hold || !strings.Contains(v[0].Reason, "has not answered yet") {
			t.Errorf("verdict of a webhook slower than the deadline: %+v", v[0])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Evaluate did not return at its context's deadline while the webhook was answering")
	}

	answer <- struct{}{}
	waitFetched(t, e.webhooks.answers)
	clk.Step(30 * time.Second) // the next check
	if v := e.Evaluate(context.Background(), s, release("web", t0.Add(30*time.Second))); v[0].Result != Pass || v[0].Reason != "approved" {
		t.Errorf("the next check got %+v, want the late answer", v[0])
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d calls, want 1: the next check takes the answer of the call on its way", n)
	}
}

func TestWebhookReasonsAreCutTo512Bytes(t *testing.T) {
	long := strings.Repeat("ça coûte €", maxWebhookResponse/len("ça coûte €")-10)
	for name, body := range map[string]string{
		"a long reason": `{"result":"fail","reason":"` + long + `"}`,
		"a long result": `{"result":"` + long + `"}`,
	} {
		t.Run(name, func(t *testing.T) {
			if len(body) > maxWebhookResponse {
				t.Fatalf("the answer of %d bytes is longer than a webhook may answer", len(body))
			}
			srv := answeringServer(t, http.StatusOK, body, 0)
			hooks, err := newWebhooks([]string{srv.URL}, time.Second, time.Second, clocktesting.NewFakeClock(t0))
			if err != nil {
				t.Fatal(err)
			}
			v := hooks.call(context.Background(), Spec{Name: "webhook.approval", Kind: KindWebhook, URL: srv.URL}, release("web", t0))
			if len(v.Reason) > 512 || !utf8.ValidString(v.Reason) || !strings.HasSuffix(v.Reason, "…") {
				t.Errorf("reason of %d bytes (valid UTF-8: %v): …%s", len(v.Reason), utf8.ValidString(v.Reason), v.Reason[max(0, len(v.Reason)-40):])
			}
		})
	}
}

func TestTruncateReason(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"short", "short"},
		{strings.Repeat("a", 512), strings.Repeat("a", 512)},
		{strings.Repeat("a", 513), strings.Repeat("a", 509) + "…"},
		{strings.Repeat("a", 508) + "€€", strings.Repeat("a", 508) + "…"}, // "€" is 3 bytes: 509 would cut inside it
		{strings.Repeat("é", 300), strings.Repeat("é", 254) + "…"},
	} {
		got := truncateReason(c.in)
		if got != c.want || len(got) > 512 {
			t.Errorf("truncateReason(%d bytes) = %d bytes %q…, want %d bytes", len(c.in), len(got), got[max(0, len(got)-10):], len(c.want))
		}
	}
}
