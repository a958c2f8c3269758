package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"k8s.io/client-go/util/workqueue"
)

// Options configure a Notifier; zero fields take their defaults.
type Options struct {
	Receivers []Spec
	// QueueSize bounds the messages waiting to be sent, across receivers
	// (default 1000). Each receiver may hold an equal share of it, so one
	// that is down fills only its own share.
	QueueSize int
	// Workers is the number of sends in flight at once (default 2).
	Workers int
	// MaxAttempts is how often a message is tried (default 5). Backoff is
	// the wait before the first retry, doubled for each next one up to
	// MaxBackoff (defaults 1s and 1m).
	MaxAttempts         int
	Backoff, MaxBackoff time.Duration
	// Timeout bounds one send (default 10s).
	Timeout time.Duration
	// Registerer gets meshcanary_notifications_total; nil registers nothing.
	Registerer prometheus.Registerer
	// Logger defaults to a no-op logger.
	Logger *zap.Logger
	// LookupEnv reads the environment for url-env receivers (default
	// os.LookupEnv).
	LookupEnv func(string) (string, bool)
}

func (o *Options) defaults() {
	set := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&o.QueueSize, 1000)
	set(&o.Workers, 2)
	set(&o.MaxAttempts, 5)
	setD(&o.Backoff, time.Second)
	setD(&o.MaxBackoff, time.Minute)
	setD(&o.Timeout, 10*time.Second)
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
}

// Notifier posts release milestones to receivers, asynchronously: Notify
// only queues, a fixed pool of workers sends, and a failed send is retried
// with exponential backoff while the receiver's later messages wait, so
// each receiver gets its messages in order.
type Notifier struct {
	opts      Options
	receivers map[string]*receiver
	// queue holds the names of receivers with messages to send; it retries
	// a receiver after its backoff and never hands one name to two
	// workers at once.
	queue   workqueue.TypedRateLimitingInterface[string]
	share   int
	client  *http.Client
	counter *prometheus.CounterVec

	mu sync.Mutex // guards every receiver's pending
}

// receiver is one configured receiver and its messages waiting to be sent,
// oldest first; the first is being sent or waits for its retry.
type receiver struct {
	spec    Spec
	pending []Message
}

// New checks the receivers (unique names, readable http(s) URLs) and
// returns a Notifier; Run starts its workers.
func New(opts Options) (*Notifier, error) {
	opts.defaults()
	n := &Notifier{
		opts:      opts,
		receivers: map[string]*receiver{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](opts.Backoff, opts.MaxBackoff),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "notifications"}),
		client: &http.Client{
			Timeout:       opts.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	var names []string
	for _, s := range opts.Receivers {
		if _, dup := n.receivers[s.Name]; dup {
			return nil, fmt.Errorf("notification receiver %s is configured twice", s.Name)
		}
		if _, err := s.url(opts.LookupEnv); err != nil {
			return nil, err
		}
		n.receivers[s.Name] = &receiver{spec: s}
		names = append(names, s.Name)
	}
	n.share = max(1, opts.QueueSize/max(1, len(names)))
	n.counter = newCounter(opts.Registerer, names)
	return n, nil
}

// Names lists the configured receivers, sorted.
func (n *Notifier) Names() []string {
	if n == nil {
		return nil
	}
	var names []string
	for name := range n.receivers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Notify queues msgs for each receiver named and returns at once. A
// receiver whose share of the queue is full drops the message, logs it and
// counts it as dropped; unknown names are skipped (Receivers reports them
// as configuration problems). A nil Notifier has no receivers.
func (n *Notifier) Notify(receivers []string, msgs ...Message) {
	if n == nil {
		return
	}
	for _, name := range receivers {
		r, ok := n.receivers[name]
		if !ok {
			continue
		}
		for _, m := range msgs {
			n.enqueue(r, m)
		}
	}
}

func (n *Notifier) enqueue(r *receiver, m Message) {
	n.mu.Lock()
	full, first := len(r.pending) >= n.share, len(r.pending) == 0
	if !full {
		r.pending = append(r.pending, m)
	}
	n.mu.Unlock()
	switch {
	case full:
		n.counter.WithLabelValues(r.spec.Name, resultDropped).Inc()
		n.opts.Logger.Warn("notification queue full; message dropped", zap.String("receiver", r.spec.Name),
			zap.String("namespace", m.Namespace), zap.String("deployment", m.Deployment), zap.String("milestone", string(m.Milestone)))
	case first:
		n.queue.Add(r.spec.Name)
	}
}

// Run sends until ctx is done, with the configured number of workers.
// Messages still waiting then are not sent.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range n.opts.Workers {
		wg.Go(func() {
			for n.process(ctx) {
			}
		})
	}
	<-ctx.Done()
	n.queue.ShutDown()
	wg.Wait()
}

// process sends the oldest message of one receiver; it reports false once
// the queue is shut down.
func (n *Notifier) process(ctx context.Context) bool {
	name, shutdown := n.queue.Get()
	if shutdown {
		return false
	}
	defer n.queue.Done(name)
	r := n.receivers[name]
	n.mu.Lock()
	if len(r.pending) == 0 {
		n.mu.Unlock()
		return true
	}
	m := r.pending[0]
	n.mu.Unlock()

	log := n.opts.Logger.With(zap.String("receiver", name), zap.String("namespace", m.Namespace),
		zap.String("deployment", m.Deployment), zap.String("milestone", string(m.Milestone)))
	err := n.send(ctx, r.spec, m)
	attempt := n.queue.NumRequeues(name) + 1
	switch {
	case err == nil:
		n.counter.WithLabelValues(name, resultSent).Inc()
	case !errors.Is(err, errRejected) && attempt < n.opts.MaxAttempts:
		n.counter.WithLabelValues(name, resultRetried).Inc()
		log.Warn("notification failed; retrying", zap.Int("attempt", attempt), zap.Error(err))
		n.queue.AddRateLimited(name)
		return true
	default:
		n.counter.WithLabelValues(name, resultFailed).Inc()
		log.Error("notification failed; giving up", zap.Int("attempt", attempt), zap.Error(err))
	}
	n.queue.Forget(name)
	n.mu.Lock()
	r.pending = r.pending[1:]
	more := len(r.pending) > 0
	n.mu.Unlock()
	if more {
		n.queue.Add(name)
	}
	return true
}

// errRejected is wrapped by send when the receiver answered with a status
// no retry can change (a 4xx other than 408 and 429).
var errRejected = errors.New("rejected")

// maxResponse bounds what is read of a receiver's answer.
const maxResponse = 4 << 10

// send posts m to the receiver s once.
func (n *Notifier) send(ctx context.Context, s Spec, m Message) error {
	target, err := s.url(n.opts.LookupEnv)
	if err != nil {
		return err
	}
	body, err := payload(s.Kind, m)
	if err != nil {
		return fmt.Errorf("encoding the message: %w: %w", errRejected, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("request to receiver %s: %w", s.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "meshcanary")
	resp, err := n.client.Do(req)
	if err != nil {
		// A *url.Error quotes the URL, which may hold a token: keep its cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("posting to receiver %s: %w", s.Name, err)
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		return fmt.Errorf("receiver %s answered %s", s.Name, resp.Status)
	default:
		return fmt.Errorf("receiver %s answered %s: %w", s.Name, resp.Status, errRejected)
	}
}
