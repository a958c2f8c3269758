//go:build e2e

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	"k8s.io/client-go/kubernetes"

	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// scrapeInterval is how often Prometheus scrapes the simulator and the
// controller.
const scrapeInterval = 2 * time.Second

// parallelism is how many parallel tests run at once unless -test.parallel
// says otherwise. The tests mostly wait for the controller's timers, so
// they overlap well even on two cores.
const parallelism = 12

// env is the environment every test shares, started by TestMain.
var env *environment

// environment is one local control plane with Prometheus, the mesh
// simulator, a switchable proxy in front of Prometheus and the controller.
type environment struct {
	cluster    *cluster.Cluster
	kube       kubernetes.Interface
	istio      istioclient.Interface
	sim        *meshsim.Sim
	prometheus *promSwitch
	controller *cluster.Meshcanary
	notify     *notifyReceiver
	cancel     context.CancelFunc
	dumpOnce   sync.Once
}

func TestMain(m *testing.M) {
	flag.Parse()
	if !flagSet("test.parallel") {
		_ = flag.Set("test.parallel", fmt.Sprint(parallelism))
	}
	e, err := startEnvironment()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting the environment:", err)
		os.Exit(1)
	}
	env = e
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "e2e: every process log is in %s\n", e.cluster.RunDir)
	}
	e.stop()
	os.Exit(code)
}

// startEnvironment starts the cluster, the simulator, the Prometheus proxy
// and the controller. On error it stops what it started.
func startEnvironment() (_ *environment, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	e := &environment{cancel: cancel}
	defer func() {
		if err != nil {
			e.stop()
		}
	}()
	e.cluster, err = cluster.Start(ctx, cluster.Options{
		Name: "e2e", Nodes: 2, Prometheus: &cluster.PrometheusOptions{ScrapeInterval: scrapeInterval},
	})
	if err != nil {
		return e, err
	}
	fmt.Fprintf(os.Stderr, "e2e: local cluster ready in %s, logs in %s\n",
		e.cluster.StartDuration.Round(time.Millisecond), e.cluster.RunDir)
	cfg := e.cluster.AdminConfig()
	if e.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return e, fmt.Errorf("kubernetes client: %w", err)
	}
	if e.istio, err = istioclient.NewForConfig(cfg); err != nil {
		return e, fmt.Errorf("istio client: %w", err)
	}
	if e.sim, err = meshsim.New(cfg, meshsim.Options{}); err != nil {
		return e, fmt.Errorf("mesh simulator: %w", err)
	}
	if err = e.sim.Start(ctx); err != nil {
		return e, fmt.Errorf("starting the mesh simulator: %w", err)
	}
	if err = e.cluster.Scrape("meshsim", e.sim.Addr()); err != nil {
		return e, err
	}
	if e.prometheus, err = newPromSwitch(e.cluster.PrometheusURL); err != nil {
		return e, err
	}
	e.notify = startNotifyReceiver()
	e.controller, err = e.cluster.StartMeshcanary(cluster.MeshcanaryOptions{
		Args: []string{
			"--prometheus-url", e.prometheus.URL(),
			"--log-level", "debug",
			// Ingress VirtualServices of istio-system may be split
			// (topology_test.go); those of e2e-gateways-denied may not.
			"--virtualservice-namespaces", gatewayNamespace,
			"--notify-receiver", notifyReceiverName + "=webhook,url-env=" + notifyURLEnv,
		},
		Env: []string{notifyURLEnv + "=" + e.notify.URL()},
	})
	if err != nil {
		return e, err
	}
	return e, e.cluster.Scrape("meshcanary", e.controller.MetricsAddr)
}

// stop stops everything startEnvironment started, the controller first.
func (e *environment) stop() {
	if e.controller != nil {
		e.controller.Stop()
	}
	if e.notify != nil {
		e.notify.close()
	}
	if e.sim != nil {
		e.sim.Close()
	}
	if e.prometheus != nil {
		e.prometheus.close()
	}
	if e.cluster != nil {
		e.cluster.Stop()
	}
	e.cancel()
}

// dumpClusterLogs prints the tails of the cluster's process logs, once per
// run however many tests fail.
func (e *environment) dumpClusterLogs(t *testing.T) {
	e.dumpOnce.Do(func() { e.cluster.DumpLogs(t) })
}

// flagSet reports whether the named flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
