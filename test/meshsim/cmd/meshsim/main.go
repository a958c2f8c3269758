// Command meshsim runs the mesh simulator against a cluster: it routes
// Poisson traffic to the given services as Istio's sidecars would and serves
// Istio's metrics on /metrics and the observed traffic share on /share.
//
//	meshsim --kubeconfig K --target shop/podinfo=50 --listen 127.0.0.1:9464 [--propagation 1s-5s]
//
// It prints "meshsim listening on ADDR" once its caches are synced and runs
// until interrupted.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"go.uber.org/zap"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshcanary/meshcanary/test/meshsim"
)

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "meshsim:", err)
		os.Exit(1)
	}
}

func run() error {
	var targets, namespaces repeated
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	listen := flag.String("listen", "127.0.0.1:0", "address of /metrics and /share")
	seed := flag.Uint64("seed", 0, "seed of the random source (0: from the clock)")
	flag.Var(&targets, "target", "namespace/service=rate in requests per second (repeatable)")
	flag.Var(&namespaces, "namespace", "namespace to watch (repeatable; default all)")
	propagation := flag.String("propagation", "", `delay before proxies see VirtualService and DestinationRule changes, "min-max" (e.g. 1s-5s); none when empty`)
	proxies := flag.Int("proxies", 8, "simulated proxies, each with its own delays (with --propagation)")
	flag.Parse()

	opts := meshsim.Options{Namespaces: namespaces, Listen: *listen}
	for _, t := range targets {
		target, err := meshsim.ParseTarget(t)
		if err != nil {
			return err
		}
		opts.Targets = append(opts.Targets, target)
	}
	if *propagation != "" {
		p, err := meshsim.ParsePropagation(*propagation, *proxies)
		if err != nil {
			return err
		}
		opts.Propagation = &p
	}
	if *seed != 0 {
		opts.Rand = rand.New(rand.NewPCG(*seed, *seed))
	}
	log, err := zap.NewProduction()
	if err != nil {
		return fmt.Errorf("logger: %w", err)
	}
	defer func() { _ = log.Sync() }()
	opts.Logger = log

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	sim, err := meshsim.New(cfg, opts)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := sim.Start(ctx); err != nil {
		return err
	}
	defer sim.Close()
	fmt.Printf("meshsim listening on %s\n", sim.Addr())
	<-ctx.Done()
	return nil
}
