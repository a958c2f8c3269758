package gates

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"k8s.io/utils/clock"
)

// WebhookRequest is the JSON body POSTed to a webhook gate.
type WebhookRequest struct {
	Gate string `json:"gate"`
	Subject
	Step         int       `json:"step"`
	CanaryWeight int32     `json:"canaryWeight"`
	Total        int32     `json:"total"`
	StepStart    time.Time `json:"stepStart"`
	Now          time.Time `json:"now"`
	// Annotations are the Deployment's meshcanary.io/ annotations, except
	// the status, for example metadata for the webhook.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// WebhookResponse is the answer a webhook gate expects: result "pass",
// "hold" or "fail" and a reason, kept up to 512 bytes.
type WebhookResponse struct {
	Result string `json:"result"`
	Reason string `json:"reason"`
}

// maxReason bounds the reason of a webhook's verdict, which ends up in the
// status annotation; reasonCut marks a reason that was cut.
const (
	maxReason = 512
	reasonCut = "…"
)

// webhooks calls webhook gates, only at allowed URLs, without following
// redirects (a redirect could leave the allowed prefixes). Calls run in
// the background, detached from the evaluation that asked: an answer that
// comes after the evaluation stopped waiting serves the next evaluation of
// the same step.
type webhooks struct {
	allow   []allowedPrefix
	client  *http.Client
	answers *cache
}

// newWebhooks builds the webhook caller: timeout bounds one call, and an
// answer serves the evaluations of the same step for ttl after it came.
func newWebhooks(allow []string, timeout, ttl time.Duration, clk clock.PassiveClock) (*webhooks, error) {
	w := &webhooks{
		client: &http.Client{
			Timeout:       timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		answers: newCache(ttl, clk),
	}
	for _, a := range allow {
		p, err := parseAllowedPrefix(a)
		if err != nil {
			return nil, err
		}
		w.allow = append(w.allow, p)
	}
	return w, nil
}

// start calls the allowed webhooks among specs about r at once, in the
// background, so that call finds their answers on the way.
func (w *webhooks) start(specs Specs, r Release) {
	for _, s := range specs {
		if s.Kind == KindWebhook && w.allowed(s.URL) {
			w.answers.start(webhookKey(s, r), func() (any, error) { return w.do(s, r), nil })
		}
	}
}

// call returns the verdict of the webhook of s on r: the answer of the
// call on its way or of one that ended less than the cache's TTL ago, or
// else of a new call. ctx bounds only the wait: a webhook that has not
// answered by then holds, and its call goes on.
func (w *webhooks) call(ctx context.Context, s Spec, r Release) Verdict {
	if !w.allowed(s.URL) {
		return Verdict{Gate: s.Name, Result: Hold, Reason: "webhook URL not allowed: " + w.valid()}
	}
	v, err := w.answers.get(ctx, webhookKey(s, r), func() (any, error) { return w.do(s, r), nil })
	if err != nil {
		return hold(s, fmt.Errorf("webhook has not answered yet (its answer serves the next check): %w", err))
	}
	return v.(Verdict)
}

// webhookKey identifies the calls of one webhook gate about one step of a
// release.
func webhookKey(s Spec, r Release) string {
	return strings.Join([]string{r.Namespace, r.Deployment, r.Revision, strconv.Itoa(r.Step),
		strconv.FormatInt(r.StepStart.UnixNano(), 10), s.Name, s.URL}, "\x00")
}

// do asks the webhook of s for a verdict on r, within the client's
// timeout.
func (w *webhooks) do(s Spec, r Release) Verdict {
	raw, status, err := postJSON(context.Background(), w.client, "webhook", s.URL, webhookRequest(s, r), nil)
	if err != nil {
		return hold(s, err)
	}
	if status/100 != 2 {
		return Verdict{Gate: s.Name, Result: Hold, Reason: fmt.Sprintf("webhook answered HTTP %d", status)}
	}
	return webhookVerdict(s, raw)
}

// webhookVerdict reads a webhook's answer; anything but a known result is
// a Hold. The reason is cut to maxReason bytes.
func webhookVerdict(s Spec, raw []byte) Verdict {
	var ans WebhookResponse
	if err := json.Unmarshal(raw, &ans); err != nil {
		return hold(s, fmt.Errorf(`webhook answer is not {"result": ..., "reason": ...}: %w`, err))
	}
	v := Verdict{Gate: s.Name, Reason: ans.Reason}
	switch strings.ToLower(ans.Result) {
	case "pass":
		v.Result = Pass
	case "fail":
		v.Result = Fail
	case "hold":
		v.Result = Hold
	default:
		v.Result, v.Reason = Hold, fmt.Sprintf("webhook answered result %q; expected pass, hold or fail", ans.Result)
	}
	v.Reason = truncateReason(v.Reason)
	return v
}

func webhookRequest(s Spec, r Release) WebhookRequest {
	return WebhookRequest{
		Gate:    s.Name,
		Subject: Subject{Namespace: r.Namespace, Deployment: r.Deployment, Primary: r.Primary, Service: r.Service, Revision: r.Revision},
		Step:    r.Step, CanaryWeight: r.CanaryWeight, Total: r.Total, StepStart: r.StepStart, Now: r.Now,
		Annotations: PayloadAnnotations(r.Annotations),
	}
}

// truncateReason shortens reason to at most maxReason bytes, cutting at a
// UTF-8 character boundary and ending with reasonCut when it cut.
func truncateReason(reason string) string {
	if len(reason) <= maxReason {
		return reason
	}
	cut := maxReason - len(reasonCut)
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut] + reasonCut
}
