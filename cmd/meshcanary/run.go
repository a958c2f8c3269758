package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"

	"github.com/meshcanary/meshcanary/pkg/controller"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/metrics"
	"github.com/meshcanary/meshcanary/pkg/notify"
)

// runController runs the controller as f configures it until ctx is done:
// alone, or while this replica leads the election.
func runController(ctx context.Context, f *controllerFlags) error {
	if err := validateClientLimit(f.qps, f.burst); err != nil {
		return err
	}
	if err := validateContentType(f.contentType); err != nil {
		return err
	}
	if f.leaderElect {
		if err := f.lease.validate(controller.DefaultDrainTimeout); err != nil {
			return err
		}
	}
	log, err := newLogger(f.logLevel, f.logFormat)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	c, err := newClients(f)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	recorder, stopEvents, err := controller.NewEventRecorder(ctx, withContentType(c.rest, f.contentType), f.eventQPS, f.eventBurst)
	if err != nil {
		return err
	}
	defer stopEvents()
	ctrl, err := newController(ctx, f, c, reg, recorder, log)
	if err != nil {
		return err
	}

	run := func(ctx context.Context) {
		defer c.fence.Close()
		if err := ctrl.Run(ctx, f.workers); err != nil {
			log.Error("controller stopped", zap.Error(err))
		}
	}
	h := &health{grace: leaseGrace, synced: ctrl.CachesSynced}
	l := &leadership{run: run, stop: ctx}
	var le *leaderelection.LeaderElector
	var lock resourcelock.Interface
	if f.leaderElect {
		if le, lock, err = newElector(c.leaseKube, f, log, l.lead); err != nil {
			return err
		}
		h.lease = le
	}
	stopServing, err := serveMetrics(f.metricsAddr, reg, h, log)
	if err != nil {
		return err
	}
	defer stopServing()
	if le == nil {
		run(ctx)
		return nil
	}
	lead(ctx, le, lock, l, log)
	return nil
}

// clients are the controller's API clients. Those made from rest are
// fenced once the controller stops leading; leaseKube, the leader
// election's own, is not, so that it can still release the lease.
type clients struct {
	rest      *rest.Config
	fence     *controller.Fence
	kube      kubernetes.Interface
	istio     istioclient.Interface
	leaseKube kubernetes.Interface
}

// newClients makes the clients from the kubeconfig flags, the client rate
// limits and the content type of f.
func newClients(f *controllerFlags) (*clients, error) {
	restCfg, err := f.kube.restConfig()
	if err != nil {
		return nil, err
	}
	restCfg.QPS, restCfg.Burst = f.qps, f.burst
	restCfg.UserAgent = "meshcanary"
	c := &clients{rest: restCfg, fence: &controller.Fence{}}
	if c.leaseKube, err = kubernetes.NewForConfig(withContentType(restCfg, f.contentType)); err != nil {
		return nil, fmt.Errorf("creating the leader election's Kubernetes client: %w", err)
	}
	restCfg.Wrap(c.fence.Wrap)
	if c.kube, err = kubernetes.NewForConfig(withContentType(restCfg, f.contentType)); err != nil {
		return nil, fmt.Errorf("creating Kubernetes client: %w", err)
	}
	if c.istio, err = istioclient.NewForConfig(restCfg); err != nil {
		return nil, fmt.Errorf("creating Istio client: %w", err)
	}
	return c, nil
}

// newController makes the controller with its gates and its notifier,
// which runs until ctx is done.
func newController(ctx context.Context, f *controllerFlags, c *clients, reg *prometheus.Registry, recorder record.EventRecorder, log *zap.Logger) (*controller.Controller, error) {
	evaluator, err := newEvaluator(f, reg, log)
	if err != nil {
		return nil, err
	}
	notifier, err := newNotifier(f, reg, log)
	if err != nil {
		return nil, err
	}
	go notifier.Run(ctx)
	vsNamespaces, err := parseVirtualServiceNamespaces(f.vsNamespaces)
	if err != nil {
		return nil, err
	}
	ctrl, err := controller.New(controller.Options{
		Kube:                     c.kube,
		Istio:                    c.istio,
		Namespaces:               splitList(f.namespaces),
		VirtualServiceNamespaces: vsNamespaces,
		Gates:                    evaluator,
		Hooks:                    evaluator,
		Recorder:                 recorder,
		Metrics:                  metrics.New(reg),
		Notifier:                 notifier,
		QueueMetrics:             metrics.NewWorkqueueProvider(reg),
		Logger:                   log,
		GateDeadline:             f.gateDeadline,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the controller: %w", err)
	}
	return ctrl, nil
}

// newEvaluator makes the gates' evaluator from the Prometheus and webhook
// flags.
func newEvaluator(f *controllerFlags, reg prometheus.Registerer, log *zap.Logger) (*gates.Evaluator, error) {
	promClient, err := prometheusClient(f.promTokenFile)
	if err != nil {
		return nil, err
	}
	evaluator, err := gates.NewEvaluator(gates.Options{
		PrometheusURL: f.promURL,
		HTTPClient:    promClient,
		QueryTimeout:  f.promTimeout,
		WebhookAllow:  splitList(f.webhookAllow),
		Registerer:    reg,
		Logger:        log.Named("gates"),
	})
	if err != nil {
		return nil, fmt.Errorf("configuring gates: %w", err)
	}
	return evaluator, nil
}

// newNotifier makes the notifier from the notification flags.
func newNotifier(f *controllerFlags, reg prometheus.Registerer, log *zap.Logger) (*notify.Notifier, error) {
	opts, err := f.notify.Options()
	if err != nil {
		return nil, fmt.Errorf("configuring notifications: %w", err)
	}
	opts.Registerer, opts.Logger = reg, log.Named("notify")
	notifier, err := notify.New(opts)
	if err != nil {
		return nil, fmt.Errorf("configuring notifications: %w", err)
	}
	return notifier, nil
}

// serveMetrics serves /metrics, /healthz and /readyz on addr in the
// background; stop closes the server.
func serveMetrics(addr string, reg *prometheus.Registry, h *health, log *zap.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	log.Info("serving metrics and health", zap.String("address", ln.Addr().String()))
	srv := &http.Server{Handler: serveMux(reg, h), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", zap.Error(err))
		}
	}()
	return func() { _ = srv.Close() }, nil
}

// lead runs the election until ctx is done. The election ends only once a
// stopping controller has drained and been fenced, and the lease is
// released after that, so after its last write; a lost lease stops the
// controller too, and lead waits for that.
func lead(ctx context.Context, le *leaderelection.LeaderElector, lock resourcelock.Interface, l *leadership, log *zap.Logger) {
	election, end := context.WithCancel(context.WithoutCancel(ctx))
	defer end()
	go l.releaseAfterDrain(end)
	le.Run(election)
	l.wait()
	if ctx.Err() != nil {
		releaseLease(context.WithoutCancel(ctx), lock, log)
	}
}
