package controller

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/clock"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/metrics"
	"github.com/meshcanary/meshcanary/pkg/notify"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// GateEvaluator answers for the gates of one release. It is implemented by
// *gates.Evaluator.
type GateEvaluator interface {
	// Evaluate returns one verdict per gate in specs (empty, not nil, for
	// no gates).
	Evaluate(ctx context.Context, specs gates.Specs, r gates.Release) []gates.Verdict
	// Check reports configuration the operator does not allow (for example
	// a webhook URL outside the allowlist).
	Check(specs gates.Specs) config.Problems
	// Forget drops the per-release state of a canary.
	Forget(namespace, deployment string)
}

// Options configures a Controller.
type Options struct {
	Kube  kubernetes.Interface
	Istio istioclient.Interface
	// Namespaces to watch; empty means every namespace.
	Namespaces []string
	// VirtualServiceNamespaces are the namespaces, besides a Deployment's
	// own, where meshcanary may split VirtualServices it does not own (a
	// gateway's, a delegate root's); "*" allows every namespace. Their
	// VirtualServices are watched even outside Namespaces. Only the
	// operator sets them, never an annotation.
	VirtualServiceNamespaces []string
	// Gates evaluates the telemetry gates.
	Gates GateEvaluator
	// Hooks calls the release hooks; nil makes every hook annotation
	// invalid.
	Hooks HookCaller
	// Recorder records Events on the user's Deployments.
	Recorder record.EventRecorder
	Metrics  *metrics.Metrics
	// Notifier posts release milestones to the receivers a Deployment
	// selects; nil sends none.
	Notifier *notify.Notifier
	// Queue metrics provider; nil uses client-go's global provider.
	QueueMetrics workqueue.MetricsProvider
	Logger       *zap.Logger
	// Clock is injected for tests; nil means the real clock.
	Clock clock.WithTicker
	// Resync is the informers' resync period; 0 disables resync.
	Resync time.Duration
	// GateDeadline is how long a reconcile waits for the gates; a slower
	// evaluation ends in the background (see evaluate). 0 means
	// DefaultGateDeadline.
	GateDeadline time.Duration
	// DrainTimeout bounds how long Run waits for the reconciles under way
	// once its context is done (see work). 0 means DefaultDrainTimeout.
	DrainTimeout time.Duration
}

// Controller releases changes to opted-in Deployments as Istio canaries.
type Controller struct {
	kube     kubernetes.Interface
	istio    istioclient.Interface
	gates    GateEvaluator
	hooks    HookCaller
	recorder record.EventRecorder
	metrics  *metrics.Metrics
	notifier *notify.Notifier
	log      *zap.Logger
	clock    clock.WithTicker
	queue    workqueue.TypedRateLimitingInterface[string]

	scopes map[string]*caches
	// routeScopes watch the VirtualServices of the allowed namespaces
	// that no scope covers, by namespace.
	routeScopes map[string]*routeScope
	// allowed are Options.VirtualServiceNamespaces.
	allowed []string

	gateDeadline time.Duration
	drainTimeout time.Duration
	// stopping is set once Run's context is done: no reconcile starts
	// after it.
	stopping atomic.Bool

	mu       sync.Mutex
	lastEval map[string]time.Time
	// evals holds the gate evaluations under way or not yet used, by key.
	evals map[string]*gateEvaluation
	// hookCalls holds the release hook calls under way or whose answers
	// are not recorded yet, by key and hook (see startHookCalls).
	hookCalls map[string]map[stepper.Hook]*hookCall
	// own holds the status writes the cache does not show yet.
	own ownWrites
	// pending holds the statuses decided while their Deployment has no
	// VirtualService to hold them (see pendingOf).
	pending map[string]stepper.Status
	// hashes holds the canary hashes learned and not written yet.
	hashes map[string]canaryHashMemo
	// subsets holds when each canary subset was first seen (subsetSince).
	subsets map[string]subsetMemo
	// routesGone holds when each opt-out's routes were first seen
	// restored (routesGoneSince).
	routesGone map[string]time.Time
}

// New creates a Controller and its informers. Call Run to start it.
func New(o Options) (*Controller, error) {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.GateDeadline <= 0 {
		o.GateDeadline = DefaultGateDeadline
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = DefaultDrainTimeout
	}
	c := &Controller{
		kube:     o.Kube,
		istio:    o.Istio,
		gates:    o.Gates,
		hooks:    o.Hooks,
		recorder: o.Recorder,
		metrics:  o.Metrics,
		notifier: o.Notifier,
		log:      o.Logger,
		clock:    o.Clock,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[string](250*time.Millisecond, 2*time.Minute),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "canaries", Clock: o.Clock, MetricsProvider: o.QueueMetrics},
		),
		scopes:       map[string]*caches{},
		routeScopes:  map[string]*routeScope{},
		allowed:      o.VirtualServiceNamespaces,
		gateDeadline: o.GateDeadline,
		drainTimeout: o.DrainTimeout,
		lastEval:     map[string]time.Time{},
		evals:        map[string]*gateEvaluation{},
	}
	namespaces := o.Namespaces
	if len(namespaces) == 0 {
		namespaces = []string{""}
	}
	for _, ns := range namespaces {
		cs, err := newCaches(o.Kube, o.Istio, ns, o.Resync)
		if err != nil {
			return nil, fmt.Errorf("informers of namespace %q: %w", ns, err)
		}
		if err := c.addHandlers(cs); err != nil {
			return nil, fmt.Errorf("informers of namespace %q: %w", ns, err)
		}
		c.scopes[ns] = cs
	}
	for _, ns := range extraRouteNamespaces(o.Namespaces, o.VirtualServiceNamespaces) {
		rs, err := newRouteScope(o.Istio, ns, o.Resync)
		if err != nil {
			return nil, fmt.Errorf("VirtualService informer of namespace %q: %w", ns, err)
		}
		if _, err := rs.vss.AddEventHandler(c.routesHandler(statusOnly)); err != nil {
			return nil, fmt.Errorf("adding the event handler of virtualservices in namespace %q: %w", ns, err)
		}
		c.routeScopes[ns] = rs
	}
	return c, nil
}

// cachesFor returns the caches that hold namespace.
func (c *Controller) cachesFor(namespace string) *caches {
	if cs, ok := c.scopes[namespace]; ok {
		return cs
	}
	return c.scopes[""]
}

// Run starts the informers, waits for their caches and processes the queue
// with the given number of workers until ctx is done; then it drains the
// reconciles under way, for at most the drain timeout (see work).
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()

	var synced []cache.InformerSynced
	for _, cs := range c.scopes {
		for _, start := range cs.start {
			start(ctx.Done())
		}
		for _, n := range cs.inf.named() {
			synced = append(synced, n.informer.HasSynced)
		}
	}
	for _, rs := range c.routeScopes {
		rs.start(ctx.Done())
		synced = append(synced, rs.vss.HasSynced)
	}
	c.log.Info("waiting for informer caches")
	warnCtx, stopWarning := context.WithCancel(ctx)
	go c.warnUnsynced(warnCtx)
	ok := cache.WaitForCacheSync(ctx.Done(), synced...)
	stopWarning()
	if !ok {
		return fmt.Errorf("waiting for informer caches: %w", ctx.Err())
	}
	c.log.Info("caches synced; starting workers", zap.Int("workers", workers))
	c.work(ctx, workers)
	return nil
}

func (c *Controller) processNextItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if c.stopping.Load() {
		return false
	}

	start := c.clock.Now()
	requeue, err := c.reconcile(ctx, key)
	took := c.clock.Since(start)
	c.metrics.ReconcileDuration.Observe(took.Seconds())
	if ce := c.log.Check(zap.DebugLevel, "reconciled"); ce != nil {
		ce.Write(zap.String("key", key), zap.Duration("took", took), zap.Duration("requeue", requeue), zap.Error(err))
	}
	if err != nil {
		c.metrics.ReconcileErrors.Inc()
		ns, name, _ := cache.SplitMetaNamespaceKey(key)
		c.log.Warn("reconcile failed; retrying", zap.String("namespace", ns), zap.String("deployment", name), zap.Error(err))
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	if requeue > 0 {
		c.queue.AddAfter(key, requeue)
	}
	return true
}
