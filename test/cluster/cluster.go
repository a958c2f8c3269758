package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// logTailLines is how many lines of each process log a failure prints.
const logTailLines = 30

// unsafeInName matches what may not appear in a run folder's name.
var unsafeInName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Cluster is a running local control plane. Stop it with [Cluster.Stop].
type Cluster struct {
	// RunDir is the run's folder: one log per process, kubeconfigs, certificates.
	RunDir string
	// Kubeconfig is the path of a kubeconfig file with cluster-admin rights.
	Kubeconfig string
	// PrometheusURL is the Prometheus server's base URL, such as
	// "http://127.0.0.1:40123"; empty when none was asked for.
	PrometheusURL string
	// IstiodXDSAddress is istiod's plaintext xDS (ADS) gRPC address, such as
	// "127.0.0.1:40125"; empty when istiod was not asked for.
	IstiodXDSAddress string
	// IstiodDebugURL is the base URL of istiod's HTTP port (/ready, /debug/...).
	IstiodDebugURL string
	// Nodes names the fake kwok nodes, all Ready.
	Nodes []string
	// StartDuration is how long Start took.
	StartDuration time.Duration

	admin     *rest.Config
	pki       *pki
	dataDir   string   // etcd's and Prometheus' storage, removed by Stop
	istioCRDs []string // names of the CRDs installed from istio.io/api

	mu     sync.Mutex
	tiers  [][]*Process // stopped last tier first
	scrape *scrapeTargets

	stopOnce sync.Once
	stopped  chan struct{}
}

// Start starts a local control plane as opts say and returns once it is ready:
// apiserver serving, controllers and scheduler running, nodes Ready, Istio's CRDs
// established, Istio's validating webhook rejecting invalid configuration, and
// istiod and Prometheus ready when asked for.
// Cancelling ctx stops the cluster, as does [Cluster.Stop].
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	began := time.Now()
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	opts = opts.withDefaults(root)
	bins, err := findBinaries(opts.BinDir, opts.Prometheus != nil, opts.Istiod)
	if err != nil {
		return nil, err
	}
	c, err := newCluster(opts)
	if err != nil {
		return nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := c.start(startCtx, opts, bins, root); err != nil {
		c.Stop()
		return nil, fmt.Errorf("start local cluster: %w\n%s", err, c.logTails())
	}
	c.StartDuration = time.Since(began)
	go func() {
		select {
		case <-ctx.Done():
			c.Stop()
		case <-c.stopped:
		}
	}()
	return c, nil
}

// StartForTest starts a cluster for t, named after the test, and stops it in
// t.Cleanup, also when the test panics; if the test failed, the tails of every
// process log are printed first.
func StartForTest(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Name == "" {
		opts.Name = unsafeInName.ReplaceAllString(t.Name(), "_")
	}
	c, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("local cluster ready in %s, logs in %s", c.StartDuration.Round(time.Millisecond), c.RunDir)
	t.Cleanup(func() {
		if t.Failed() {
			c.DumpLogs(t)
		}
		c.Stop()
	})
	return c
}

// AdminConfig returns a rest.Config with cluster-admin rights (group system:masters).
func (c *Cluster) AdminConfig() *rest.Config {
	return rest.CopyConfig(c.admin)
}

// Stop stops every process, last started first, and removes the storage folder;
// logs stay in RunDir. It is safe to call more than once and from any goroutine.
func (c *Cluster) Stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		tiers := c.tiers
		c.mu.Unlock()
		for i := len(tiers) - 1; i >= 0; i-- {
			var wg sync.WaitGroup
			for _, p := range tiers[i] {
				wg.Go(p.Stop)
			}
			wg.Wait()
		}
		_ = os.RemoveAll(c.dataDir)
		close(c.stopped)
	})
}

// DumpLogs prints the last lines of every process log through t.Logf.
func (c *Cluster) DumpLogs(t testing.TB) {
	t.Helper()
	t.Log(c.logTails())
}

// logTails returns the last lines of every process log, each under a header.
func (c *Cluster) logTails() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for _, tier := range c.tiers {
		for _, p := range tier {
			fmt.Fprintf(&b, "=== last lines of %s (%s):\n%s\n", p.name, p.LogPath, tail(p.LogPath, logTailLines))
		}
	}
	return b.String()
}

func newCluster(opts Options) (*Cluster, error) {
	run := fmt.Sprintf("%s-%s-%d", opts.Name, time.Now().Format("20060102-150405"), os.Getpid())
	runDir := filepath.Join(opts.LogRoot, run)
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, fmt.Errorf("create run folder: %w", err)
	}
	if err := pruneRuns(opts.LogRoot, keepRuns); err != nil {
		fmt.Fprintf(os.Stderr, "cluster: pruning old run folders of %s: %v\n", opts.LogRoot, err)
	}
	dataDir, err := os.MkdirTemp("", "meshcanary-e2e-")
	if err != nil {
		return nil, fmt.Errorf("create storage folder: %w", err)
	}
	return &Cluster{RunDir: runDir, dataDir: dataDir, stopped: make(chan struct{})}, nil
}

// run starts a process logging to RunDir/<name>.log and adds it to the given
// stop tier.
func (c *Cluster) run(tier int, name, bin string, args ...string) (*Process, error) {
	return c.runEnv(tier, name, bin, nil, args...)
}

// runEnv is [Cluster.run] with env ("NAME=value") added to the process's environment.
func (c *Cluster) runEnv(tier int, name, bin string, env []string, args ...string) (*Process, error) {
	p, err := StartProcess(ProcessOptions{Name: name, LogDir: c.RunDir, Bin: bin, Args: args, Env: env})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.tiers) <= tier {
		c.tiers = append(c.tiers, nil)
	}
	c.tiers[tier] = append(c.tiers[tier], p)
	return p, nil
}
