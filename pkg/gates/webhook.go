package gates

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// WebhookRequest is the JSON body POSTed to a webhook gate.
type WebhookRequest struct {
	Gate         string    `json:"gate"`
	Namespace    string    `json:"namespace"`
	Deployment   string    `json:"deployment"`
	Primary      string    `json:"primary"`
	Service      string    `json:"service"`
	Revision     string    `json:"revision"`
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
// "hold" or "fail" and a reason.
type WebhookResponse struct {
	Result string `json:"result"`
	Reason string `json:"reason"`
}

// maxWebhookResponse bounds the answer read from a webhook.
const maxWebhookResponse = 64 << 10

// webhooks calls webhook gates, only at allowed URLs, without following
// redirects (a redirect could leave the allowed prefixes).
type webhooks struct {
	allow  []allowedPrefix
	client *http.Client
}

func newWebhooks(allow []string, timeout time.Duration) (*webhooks, error) {
	w := &webhooks{client: &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	for _, a := range allow {
		p, err := parseAllowedPrefix(a)
		if err != nil {
			return nil, err
		}
		w.allow = append(w.allow, p)
	}
	return w, nil
}

// call asks the webhook of s for a verdict on r.
func (w *webhooks) call(ctx context.Context, s Spec, r Release) Verdict {
	if !w.allowed(s.URL) {
		return Verdict{Gate: s.Name, Result: Hold, Reason: "webhook URL not allowed: " + w.valid()}
	}
	body, err := json.Marshal(webhookRequest(s, r))
	if err != nil {
		return hold(s, fmt.Errorf("webhook request: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return hold(s, fmt.Errorf("webhook request: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return hold(s, fmt.Errorf("webhook call failed: %w", err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxWebhookResponse))
	if err != nil {
		return hold(s, fmt.Errorf("webhook answer unreadable: %w", err))
	}
	if resp.StatusCode/100 != 2 {
		return Verdict{Gate: s.Name, Result: Hold, Reason: fmt.Sprintf("webhook answered HTTP %d", resp.StatusCode)}
	}
	return webhookVerdict(s, raw)
}

// webhookVerdict reads a webhook's answer; anything but a known result is
// a Hold.
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
	return v
}

func webhookRequest(s Spec, r Release) WebhookRequest {
	req := WebhookRequest{
		Gate: s.Name, Namespace: r.Namespace, Deployment: r.Deployment, Primary: r.Primary,
		Service: r.Service, Revision: r.Revision, Step: r.Step, CanaryWeight: r.CanaryWeight,
		Total: r.Total, StepStart: r.StepStart, Now: r.Now,
	}
	for k, v := range r.Annotations {
		if strings.HasPrefix(k, config.Prefix) && k != config.StatusAnnotation {
			if req.Annotations == nil {
				req.Annotations = map[string]string{}
			}
			req.Annotations[k] = v
		}
	}
	return req
}
