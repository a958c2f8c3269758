// Command demo is `make demo`: it starts a local control plane, Prometheus,
// the mesh simulator and meshcanary, deploys a sample service, releases a
// good version and a bad one (package scenario holds the configuration and
// the traffic model), and prints the progress live. At the end it prints
// the outcome of each release as the controller's status reports it, and
// exits with status 1 when the good version was not promoted or the bad
// one not rolled back. Ctrl-C (or the end) stops every process.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/demo/scenario"
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
	say("deployed %s/%s (%s); waiting for adoption …", namespace, appName, describeConfig())
	if _, err := a.watch(ctx, "adoption", isPhase(stepper.PhaseReady)); err != nil {
		return err
	}
	say("adopted: the primary serves 100 %%; sending %d requests/s through the simulated mesh", scenario.Rate)
	a.sendTraffic()

	var outcomes []outcome
	for i, r := range scenario.Releases() {
		say("")
		say("release %d: %s", i+1, r)
		o, err := a.run(ctx, r)
		if err != nil {
			return fmt.Errorf("release %d: %w", i+1, err)
		}
		outcomes = append(outcomes, o)
	}
	say("")
	err = report(outcomes)
	say("`make demo` again to replay; logs stay in %s", c.RunDir)
	return err
}

// say prints a line with the time of day.
func say(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
