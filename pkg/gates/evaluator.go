package gates

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"k8s.io/utils/clock"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// Defaults of the Options.
const (
	DefaultQueryTimeout   = 5 * time.Second
	DefaultCacheTTL       = 2 * time.Second
	DefaultResourceWindow = 2 * time.Minute
	DefaultMinWindow      = time.Minute
	DefaultWebhookTimeout = 10 * time.Second
)

// Options configure an Evaluator. Zero values take the defaults.
type Options struct {
	// PrometheusURL is the Prometheus HTTP API address; "" leaves every
	// telemetry gate on Hold (and Check reports it).
	PrometheusURL string
	// HTTPClient talks to Prometheus, for example with authentication;
	// nil uses the client_golang default transport. It is never used for
	// webhooks.
	HTTPClient *http.Client
	// QueryTimeout bounds one Prometheus query; a slower one is a Hold.
	QueryTimeout time.Duration
	// CacheTTL is how long one query answer serves every canary that asks
	// for it (and a webhook's answer the evaluations of its step), counted
	// from the answer: the length of an evaluation round.
	CacheTTL time.Duration
	// ResourceWindow is the rate window of the CPU gate.
	ResourceWindow time.Duration
	// MinWindow is the smallest value {{window}} takes in query gates.
	MinWindow time.Duration
	// WebhookAllow lists the URL prefixes webhooks may call (controller
	// flag --gate-webhook-allow). A prefix matches a URL with the same
	// scheme and host (port included) whose path is the prefix's path or
	// below it.
	WebhookAllow []string
	// WebhookTimeout bounds one webhook call; a slower one is a Hold.
	WebhookTimeout time.Duration
	// Registerer receives the gate metrics; nil registers none.
	Registerer prometheus.Registerer
	// Logger defaults to a no-op logger.
	Logger *zap.Logger
	// Clock defaults to the real clock; it times the cache and queries.
	Clock clock.PassiveClock
}

// Evaluator evaluates gates. It is safe for concurrent use by the
// controller's workers; one Deployment is evaluated by one worker at a time.
type Evaluator struct {
	opts     Options
	src      *source
	webhooks *webhooks
	// hookClient calls release hooks; each call is bounded by its context.
	hookClient *http.Client
	metrics    *metrics
	releases   releases
}

// NewEvaluator checks the options and builds an Evaluator.
func NewEvaluator(o Options) (*Evaluator, error) {
	o = withDefaults(o)
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	hooks, err := newWebhooks(o.WebhookAllow, o.WebhookTimeout, o.CacheTTL, o.Clock)
	if err != nil {
		return nil, err
	}
	src := &source{cache: newCache(o.CacheTTL, o.Clock), timeout: o.QueryTimeout, clock: o.Clock, metrics: m, log: o.Logger}
	if o.PrometheusURL != "" {
		c, err := api.NewClient(api.Config{Address: o.PrometheusURL, Client: o.HTTPClient})
		if err != nil {
			return nil, fmt.Errorf("prometheus client for %q: %w", o.PrometheusURL, err)
		}
		src.api = v1.NewAPI(c)
	}
	hookClient := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Evaluator{opts: o, src: src, webhooks: hooks, hookClient: hookClient, metrics: m, releases: releases{m: map[releaseKey]*releaseState{}}}, nil
}

func withDefaults(o Options) Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.QueryTimeout, DefaultQueryTimeout)
	def(&o.CacheTTL, DefaultCacheTTL)
	def(&o.ResourceWindow, DefaultResourceWindow)
	def(&o.MinWindow, DefaultMinWindow)
	def(&o.WebhookTimeout, DefaultWebhookTimeout)
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
}

// Check reports the specs this Evaluator cannot run as invalid
// configuration: a webhook URL that the operator did not allow, or a
// telemetry gate without a Prometheus address. The controller calls it
// together with Parse.
func (e *Evaluator) Check(specs Specs) config.Problems {
	var probs config.Problems
	for _, s := range specs {
		switch {
		case s.Kind == KindWebhook && !e.webhooks.allowed(s.URL):
			probs = append(probs, config.Problem{Key: s.Key, Value: s.URL, Valid: e.webhooks.valid()})
		case s.needsPrometheus() && e.src.api == nil:
			probs = append(probs, config.Problem{Key: s.Key, Value: s.Value, Valid: "a gate the controller can evaluate: it has " + errNoPrometheus.Error()})
		}
	}
	return probs
}

// Evaluate asks every gate for a verdict on r, in the order of specs.
// Prometheus or a webhook that fails, is slow or answers nonsense makes
// the gate Hold with the reason, never Pass. With no specs the answer is
// an empty slice.
//
// The webhooks are called at once, concurrently. ctx bounds only the
// wait: a gate whose query or call has not answered when ctx ends holds,
// and the query or call goes on in the background; its answer serves the
// next Evaluate that asks for it.
func (e *Evaluator) Evaluate(ctx context.Context, specs Specs, r Release) []Verdict {
	out := make([]Verdict, 0, len(specs))
	if len(specs) == 0 {
		return out
	}
	e.webhooks.start(specs, r)
	st := e.releases.get(r)
	st.mu.Lock()
	defer st.mu.Unlock()
	st.begin(r)
	j := &judging{e: e, ctx: ctx, r: r, st: st}
	for _, s := range specs {
		v := j.verdict(s)
		e.metrics.record(r, s, v)
		out = append(out, v)
	}
	return out
}

// Forget drops what the gates remember of a Deployment's release (its
// baselines, its sequential test, its metric values). The controller calls
// it when a release ends.
func (e *Evaluator) Forget(namespace, deployment string) {
	e.releases.forget(namespace, deployment)
	e.metrics.forget(namespace, deployment)
}
