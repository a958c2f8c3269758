// Command demo is `make demo`: it starts a local control plane, Prometheus,
// the mesh simulator and meshcanary, deploys a sample service, releases a
// good version to Succeeded and a bad one to rollback, and prints the
// progress live. Ctrl-C (or the end) stops every process.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	say("starting a local control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) and Prometheus …")
	c, err := cluster.Start(ctx, cluster.Options{Name: "demo", Nodes: 2, Prometheus: &cluster.PrometheusOptions{}})
	if err != nil {
		return err
	}
	defer c.Stop()
	say("control plane ready in %s; logs in %s", c.StartDuration.Round(time.Second), c.RunDir)

	sim, err := meshsim.New(c.AdminConfig(), meshsim.Options{Namespaces: []string{namespace}})
	if err != nil {
		return err
	}
	if err := sim.Start(ctx); err != nil {
		return err
	}
	defer sim.Close()

	ctrl, err := c.StartMeshcanary(cluster.MeshcanaryOptions{Args: []string{"--prometheus-url", c.PrometheusURL}})
	if err != nil {
		return err
	}
	defer ctrl.Stop()
	if err := c.Scrape("meshsim", sim.Addr()); err != nil {
		return err
	}
	if err := c.Scrape("meshcanary", ctrl.MetricsAddr); err != nil {
		return err
	}
	say("mesh simulator on %s, meshcanary metrics on %s, Prometheus at %s", sim.Addr(), ctrl.MetricsAddr, c.PrometheusURL)

	a, err := newApp(ctx, c.AdminConfig(), sim)
	if err != nil {
		return err
	}
	say("deployed %s/%s (steps %s, %s per step, gates: %s); waiting for adoption …", namespace, appName, steps, stepInterval, gateSummary)
	if err := a.watch(ctx, "adoption", isPhase("Ready")); err != nil {
		return err
	}
	say("adopted: the primary serves 100 %%; sending %d requests/s through the simulated mesh", rate)
	a.sendTraffic()

	say("")
	say("release 1: a good version (image web:v2, the same 1 %% error rate)")
	before, err := a.release(ctx, "web:v2", goodErrorRate)
	if err != nil {
		return err
	}
	if err := a.watch(ctx, "good release", ended(before)); err != nil {
		return err
	}

	say("")
	say("release 2: a bad version (image web:v3, 20 %% of requests fail)")
	before, err = a.release(ctx, "web:v3", badErrorRate)
	if err != nil {
		return err
	}
	if err := a.watch(ctx, "bad release", ended(before)); err != nil {
		return err
	}
	say("")
	say("done: the good version was promoted, the bad one rolled back. `make demo` again to replay; logs stay in %s", c.RunDir)
	return nil
}

func say(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
