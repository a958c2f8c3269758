package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/meshcanary/meshcanary/pkg/controller"
	"github.com/meshcanary/meshcanary/pkg/notify"
)

type controllerFlags struct {
	kube           kubeFlags
	namespaces     string
	vsNamespaces   string
	workers        int
	metricsAddr    string
	leaderElect    bool
	leaseNamespace string
	leaseName      string
	lease          leaseTimings
	logLevel       string
	logFormat      string
	promURL        string
	promTokenFile  string
	promTimeout    time.Duration
	gateDeadline   time.Duration
	webhookAllow   string
	qps            float32
	contentType    string
	burst          int
	eventQPS       float32
	eventBurst     int
	notify         notify.Flags
}

func newControllerCommand() *cobra.Command {
	f := &controllerFlags{}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the meshcanary controller",
		Long: `Run the meshcanary controller: watch Deployments labelled meshcanary.io/canary=enabled
and release each change to their pod template as an Istio canary.`,
		Example: `  # Against the current kubeconfig context, all namespaces, no leader election:
  meshcanary controller --leader-elect=false --prometheus-url http://127.0.0.1:9090

  # In a cluster (as the Helm chart runs it):
  meshcanary controller --namespaces team-a,team-b --metrics-bind-address :8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runController(ctx, f)
		},
	}
	fs := cmd.Flags()
	f.kube.add(fs)
	f.notify.AddFlags(fs)
	fs.StringVar(&f.namespaces, "namespaces", "", "comma-separated namespaces to watch (default: all)")
	fs.StringVar(&f.vsNamespaces, "virtualservice-namespaces", "", "comma-separated namespaces, besides each Deployment's own, where meshcanary may split VirtualServices it does not own (an ingress gateway's, a delegate root's); \"*\" allows every namespace (default: none)")
	fs.IntVar(&f.workers, "workers", 32, "concurrent reconciles (a reconcile mostly waits on the API server, so more workers shorten the queue when many canaries change at once, until the API server's write throughput is the bound and each write only gets slower: see docs/operations.md)")
	fs.StringVar(&f.metricsAddr, "metrics-bind-address", ":8080", "address serving /metrics, /healthz and /readyz")
	fs.BoolVar(&f.leaderElect, "leader-elect", true, "elect a leader through a coordination.k8s.io Lease, so several replicas are highly available")
	fs.StringVar(&f.leaseNamespace, "leader-election-namespace", envOr("POD_NAMESPACE", "default"), "namespace of the leader election Lease")
	fs.StringVar(&f.leaseName, "leader-election-id", "meshcanary", "name of the leader election Lease")
	f.lease.add(fs)
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.StringVar(&f.logFormat, "log-format", "json", "log format: json or console")
	fs.StringVar(&f.promURL, "prometheus-url", "", "Prometheus HTTP API base URL for telemetry gates")
	fs.StringVar(&f.promTokenFile, "prometheus-bearer-token-file", "", "file holding a bearer token for Prometheus")
	fs.DurationVar(&f.promTimeout, "prometheus-timeout", 5*time.Second, "timeout of one Prometheus query")
	fs.DurationVar(&f.gateDeadline, "gate-deadline", controller.DefaultGateDeadline, "longest a reconcile waits for a canary's gates; a slower evaluation ends in the background and the canary is reconciled again when it does")
	fs.StringVar(&f.webhookAllow, "gate-webhook-allow", "", "comma-separated URL prefixes webhook gates and release hooks may call (none by default)")
	fs.Float32Var(&f.qps, "kube-api-qps", -1, "client-side rate limit to the Kubernetes API, requests per second (and, apart, to Istio's); a negative value sets none and leaves the limit to the API server's Priority and Fairness, with at most --workers reconciles' requests in flight")
	fs.StringVar(&f.contentType, "kube-api-content-type", runtime.ContentTypeProtobuf, "content type of Kubernetes' kinds to and from the API server: "+runtime.ContentTypeProtobuf+" (cheaper to encode and decode for the API server and the controller, as kube-controller-manager's default) or "+runtime.ContentTypeJSON+"; Istio's kinds are always JSON")
	fs.IntVar(&f.burst, "kube-api-burst", 200, "client-side burst to the Kubernetes API (and, apart, to Istio's) when --kube-api-qps is positive")
	fs.Float32Var(&f.eventQPS, "event-qps", controller.DefaultEventQPS, "client-side rate limit of the Events, requests per second, apart from --kube-api-qps")
	fs.IntVar(&f.eventBurst, "event-burst", controller.DefaultEventBurst, "client-side burst of the Events, apart from --kube-api-burst")
	return cmd
}

// newElector prepares the leader election that calls run while this
// replica leads, and returns its lock. It does not release the lease when
// it ends (see releaseLease).
func newElector(kube kubernetes.Interface, f *controllerFlags, log *zap.Logger, run func(context.Context)) (*leaderelection.LeaderElector, resourcelock.Interface, error) {
	id, err := os.Hostname()
	if err != nil {
		return nil, nil, fmt.Errorf("leader election identity: %w", err)
	}
	id = fmt.Sprintf("%s_%d", id, os.Getpid())
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, f.leaseNamespace, f.leaseName,
		kube.CoreV1(), kube.CoordinationV1(), resourcelock.ResourceLockConfig{Identity: id})
	if err != nil {
		return nil, nil, fmt.Errorf("leader election lock: %w", err)
	}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		ReleaseOnCancel: false,
		LeaseDuration:   f.lease.duration,
		RenewDeadline:   f.lease.renewDeadline,
		RetryPeriod:     f.lease.retryPeriod,
		Name:            f.leaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: run,
			OnStoppedLeading: func() { log.Info("stopped leading", zap.String("identity", id)) },
			OnNewLeader: func(leader string) {
				log.Info("leader elected", zap.String("leader", leader))
			},
		},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("leader election: %w", err)
	}
	return le, lock, nil
}

func serveMux(reg *prometheus.Registry, h *health) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", h.healthz)
	mux.HandleFunc("/readyz", h.readyz)
	return mux
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
