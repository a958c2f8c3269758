//go:build scale

package scale

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/cluster"
)

var (
	canaries       = flag.Int("canaries", 10, "how many canaries to release at once")
	replicas       = flag.Int("replicas", 1, "replicas of each canary's Deployment")
	idleWindow     = flag.Duration("idle", 30*time.Second, "length of each idle window")
	releaseTimeout = flag.Duration("release-timeout", 0, "how long the release may take; 0 means 10m + 2s per canary")
	controllerBin  = flag.String("controller-bin", "../../bin/meshcanary", "the meshcanary binary to run (`make build` builds the default)")
	logLevel       = flag.String("log-level", "warn", "the controller's --log-level")
	controllerArgs = flag.String("controller-args", "", "more flags for meshcanary, space-separated (for example \"--workers 64\")")
	promotionFlag  = flag.String("promotion", string(config.PromotionRollout),
		"how meshcanary promotes the canaries: \"rollout\" (the primary's rollout, the default) or \"swap\" (role swap: annotation meshcanary.io/promotion: swap on every canary)")
)

// podsPerNode is how many pods the benchmark puts on one fake node at most.
const podsPerNode = 200

// BenchmarkScale releases -canaries canaries at once on a local control plane
// and prints the anchors' figures beside Flagger's. Run it once:
//
//	go test -tags scale -run '^$' -bench Scale -benchtime 1x -timeout 3h ./test/scale -args -canaries 100
func BenchmarkScale(b *testing.B) {
	checkPromotion(b)
	var f figures
	for b.Loop() {
		r := measure(b, *canaries, meshcanaryOf(), "")
		f = figuresOf(r)
		report(b, r.runDir, f, r)
		if r.releaseErr != nil {
			b.Fatalf("the release did not finish: %v", r.releaseErr)
		}
	}
	b.ReportMetric(f.releaseP50, "release-p50-s")
	b.ReportMetric(f.firstWeightP50, "first-weight-p50-s")
	b.ReportMetric(f.stepLagWatchP99, "step-lag-p99-s")
	b.ReportMetric(f.writes, "writes/canary")
	b.ReportMetric(f.gets+f.lists, "reads/canary")
	b.ReportMetric(f.cpu, "cpu-s")
	b.ReportMetric(f.hwmMB, "peak-rss-MB")
}

// meshcanaryOf is meshcanary as the flags configure it.
func meshcanaryOf() meshcanaryContender {
	return meshcanaryContender{bin: *controllerBin, logLevel: *logLevel, args: strings.Fields(*controllerArgs), replicas: int32(*replicas)}
}

// checkPromotion fails b unless -promotion names a promotion meshcanary
// knows.
func checkPromotion(b *testing.B) {
	switch config.Promotion(*promotionFlag) {
	case config.PromotionRollout, config.PromotionSwap:
	default:
		b.Fatalf("-promotion %q: want %q or %q", *promotionFlag, config.PromotionRollout, config.PromotionSwap)
	}
}

// swapping reports whether -promotion asks meshcanary to promote by role
// swap.
func swapping() bool {
	return config.Promotion(*promotionFlag) == config.PromotionSwap
}

// nodesFor is how many fake nodes n canaries need: each runs up to twice
// its replicas (primary and canary) plus a surge pod.
func nodesFor(n int) int {
	pods := (2**replicas + 1) * n
	return max(1, (pods+podsPerNode-1)/podsPerNode)
}

// measure runs the whole scenario for n canaries released by con on a
// fresh cluster whose run folder is made under logRoot (empty: <repo>/.e2e)
// and returns what it recorded. A release that did not finish is in
// run.releaseErr, after the evidence is logged.
func measure(b *testing.B, n int, con contender, logRoot string) run {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Options{
		Name: fmt.Sprintf("%s-%d", con.name(), n), Nodes: nodesFor(n), StartTimeout: 3 * time.Minute, LogRoot: logRoot,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	b.Logf("%s: local cluster ready in %s, logs in %s", con.name(), c.StartDuration.Round(time.Millisecond), c.RunDir)

	cfg := c.AdminConfig()
	cfg.QPS, cfg.Burst = 500, 1000
	kube, err := kubeClient(cfg)
	must(b, err)
	must(b, con.install(ctx, c))
	obs, err := startObserver(ctx, cfg, con.watchesCanaries())
	must(b, err)

	names := canaryNames(n)
	must(b, createCanaries(ctx, kube, names, func(name string) []*appsv1.Deployment {
		return []*appsv1.Deployment{con.deployment(name)}
	}))
	waitFor(b, "every Deployment available before the controller starts", 5*time.Minute+time.Duration(n)*time.Second,
		func() (int, error) { return obs.countAvailable(names), nil }, n)
	must(b, con.adopt(ctx, c, names))

	proxy, err := cluster.StartProxy(c.AdminConfig())
	must(b, err)
	defer proxy.Close()
	kubeconfig, err := proxy.WriteKubeconfig(c.RunDir, "proxy")
	must(b, err)
	started := time.Now()
	ctrl, err := con.start(c, kubeconfig)
	must(b, err)
	defer ctrl.Stop()
	r := run{contender: con.name(), runDir: c.RunDir, n: n, idle: *idleWindow}

	phase := func(p stepper.Phase, since time.Time) func() (int, error) {
		return func() (int, error) {
			if !ctrl.Running() {
				return 0, fmt.Errorf("%s exited, see %s", ctrl.name, ctrl.logPath)
			}
			return len(obs.reached(names, p, since)), nil
		}
	}
	waitFor(b, "every canary adopted (Ready)", 5*time.Minute+time.Duration(n)*time.Second, phase(stepper.PhaseReady, started), n)
	r.adoption = time.Since(started)
	time.Sleep(5 * time.Second) // the scale-down of the adopted Deployments settles

	r.idleBefore = idle(proxy, r.idle)

	timeout := *releaseTimeout
	if timeout == 0 {
		timeout = 10*time.Minute + 2*time.Duration(n)*time.Second
	}
	r.before, err = ctrl.scrape()
	must(b, err)
	cpu0, err := ctrl.cpuSeconds()
	must(b, err)
	saveAPIMetrics(ctx, b, kube, filepath.Join(c.RunDir, fmt.Sprintf("apiserver-metrics-%d-before.txt", n)))
	p0, t0, machine0 := proxy.Snapshot(), time.Now(), cpuByProcess()
	reacted := watchReaction(obs, ctrl, proxy, names, t0, p0, machine0, timeout)
	profiled := profileAPIServer(ctx, kube, apiProfileWindow, filepath.Join(c.RunDir, fmt.Sprintf("apiserver-cpu-%d.pprof", n)))
	r.patched, r.answered, err = patchImages(ctx, kube, names)
	must(b, err)
	r.releaseErr = waitUntil(timeout, phase(stepper.PhaseSucceeded, t0), n)
	if r.releaseErr == nil {
		// The canaries' scale-down, after the scale-down delay, is the
		// release's last cluster work and its last write: it is counted in.
		if err := waitUntil(scaleBackTimeout, func() (int, error) { return obs.countScaledBack(names, t0), nil }, n); err != nil {
			r.releaseErr = fmt.Errorf("canaries scaled back to 0 replicas after Succeeded: %w", err)
		}
	}
	select {
	case w := <-reacted:
		r.reaction = &w
	default:
	}
	r.after, err = ctrl.scrape()
	must(b, err)
	cpu1, err := ctrl.cpuSeconds()
	must(b, err)
	t1 := time.Now()
	r.window = t1.Sub(t0)
	r.cpuProc, r.machineCPU = cpu1-cpu0, cpuSpent(machine0, cpuByProcess())
	r.release, r.vsWrites, r.pods = proxy.Snapshot().Minus(p0), obs.vsWritesBetween(t0, t1), obs.podsCreatedBetween(t0, t1)
	r.progressing = obs.reached(names, stepper.PhaseProgressing, t0)
	r.succeeded = obs.reached(names, stepper.PhaseSucceeded, t0)
	r.weights = map[string][]weightEvent{}
	for _, name := range names {
		r.weights[name] = obs.weightsSince(name, t0)
	}
	if r.releaseErr == nil {
		r.idleAfter = idle(proxy, r.idle)
	}
	r.hwm, r.sampledRSS, err = ctrl.memory()
	must(b, err)
	r.peakRate, r.holds = proxy.PeakRate(t0, time.Now()), obs.holdsSince(t0)
	r.observedLags = obs.observedLags(names, t0)

	writeTimeline(b, obs, names, t0, filepath.Join(c.RunDir, fmt.Sprintf("timeline-%d.txt", n)))
	writeWriteLog(b, proxy.WriteLog(), t0, filepath.Join(c.RunDir, fmt.Sprintf("writes-%d.txt", n)))
	saveAPIMetrics(ctx, b, kube, filepath.Join(c.RunDir, fmt.Sprintf("apiserver-metrics-%d-after.txt", n)))
	if err := <-profiled; err != nil {
		b.Error(err)
	}
	if r.releaseErr != nil {
		evidence(b, obs, ctrl, names, r.succeeded)
	}
	return r
}

// apiProfileWindow is how long the API server's CPU profile runs from the
// patches: the reaction's window at N=500.
const apiProfileWindow = 10 * time.Second

// scaleBackTimeout bounds the wait, after every canary Succeeded, for
// every canary's Deployment to be back at 0 replicas: the scale-down delay
// (30 s by default) and the Deployment controller's lag behind it.
const scaleBackTimeout = 10 * time.Minute

// idle waits for d and returns what the controller requested meanwhile.
func idle(proxy *cluster.Proxy, d time.Duration) cluster.Counts {
	before := proxy.Snapshot()
	time.Sleep(d)
	return proxy.Snapshot().Minus(before)
}

// report prints the table and the raw request counts, and writes the table
// to figures-<n>.md in the run folder.
func report(b *testing.B, runDir string, f figures, r run) {
	t := table(f)
	mode := ""
	if swapping() {
		mode = ", promoted by role swap (-promotion swap)"
	}
	fmt.Printf("\nmeshcanary scale benchmark, N=%d%s (logs in %s)\n\n%s\n", f.n, mode, runDir, t)
	fmt.Printf("release window (first patch → every canary Succeeded and scaled back to 0 replicas; writes, requests and CPU are counted over it): %.1f s\n", r.window.Seconds())
	fmt.Printf("controller requests during the release: %s\n", r.release)
	fmt.Printf("CPU over the release, by process: %s\n", r.machineCPU)
	fmt.Printf("controller requests while idle before it (%s): %s\n", r.idle, r.idleBefore)
	fmt.Printf("controller requests while idle after it (%s): %s\n", r.idle, r.idleAfter)
	n0, s0 := r.before.histogram("meshcanary_reconcile_duration_seconds")
	n1, s1 := r.after.histogram("meshcanary_reconcile_duration_seconds")
	if n1 > n0 {
		fmt.Printf("reconciles during the release: %.0f (%.1f per canary), %.2f ms each on average, %.1f s in all\n",
			n1-n0, (n1-n0)/float64(f.n), 1000*(s1-s0)/(n1-n0), s1-s0)
	}
	fmt.Printf("meshcanary_step_lag_seconds during the release, observations by upper bound: %s\n",
		bucketDelta(r.before.buckets("meshcanary_step_lag_seconds"), r.after.buckets("meshcanary_step_lag_seconds")))
	printReaction(r)
	fmt.Println()
	if err := os.WriteFile(filepath.Join(runDir, fmt.Sprintf("figures-%d.md", f.n)), []byte(t), 0o644); err != nil {
		b.Error(err)
	}
}

// writeTimeline writes every canary's phases and weights, in seconds from
// the first image patch, to path.
func writeTimeline(b *testing.B, obs *observer, names []string, t0 time.Time, path string) {
	f, err := os.Create(path)
	if err == nil {
		err = obs.timeline(f, names, t0)
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		b.Error(err)
	}
}

// writeWriteLog writes the controller's writes from t0 on, one a line:
// sent and answered in seconds since t0, verb, resource, name and status
// code, to see what was in flight when a step came late.
func writeWriteLog(b *testing.B, log []cluster.Write, t0 time.Time, path string) {
	var sb strings.Builder
	for _, w := range log {
		if !w.Sent.Before(t0) {
			fmt.Fprintf(&sb, "%.3f %.3f %s %s %s %d\n", w.Sent.Sub(t0).Seconds(), w.Answered.Sub(t0).Seconds(), w.Verb, w.Resource, w.Name, w.Code)
		}
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Error(err)
	}
}

// saveAnswer sends req to the API server and saves its answer to path.
func saveAnswer(ctx context.Context, req *rest.Request, path string) error {
	raw, err := req.DoRaw(ctx)
	if err == nil {
		err = os.WriteFile(path, raw, 0o644)
	}
	return err
}

// saveAPIMetrics saves the API server's own metrics (request and admission
// webhook latencies among them) to path, for a look at a run afterwards.
func saveAPIMetrics(ctx context.Context, b *testing.B, kube kubernetes.Interface, path string) {
	if err := saveAnswer(ctx, kube.Discovery().RESTClient().Get().AbsPath("/metrics"), path); err != nil {
		b.Error(err)
	}
}

// evidence prints, for a release that did not finish, how many canaries are
// in each phase, the status of a few that did not succeed and the
// controller's warnings.
func evidence(b *testing.B, obs *observer, ctrl *controllerProcess, names []string, succeeded map[string]time.Time) {
	b.Logf("canaries by phase: %v", obs.phaseCounts())
	shown := 0
	for _, name := range names {
		if _, ok := succeeded[name]; ok || shown == 5 {
			continue
		}
		shown++
		b.Logf("status of %s: %s", name, obs.statusOf(name))
	}
	for _, level := range []string{"WARN", "ERROR"} {
		lines, total := ctrl.logLines(level, 20)
		b.Logf("%s log: %d %s lines, the first ones:\n%s", ctrl.name, total, level, strings.Join(lines, "\n"))
	}
}

// waitFor fails b unless count reaches want within timeout.
func waitFor(b *testing.B, what string, timeout time.Duration, count func() (int, error), want int) {
	b.Helper()
	began := time.Now()
	if err := waitUntil(timeout, count, want); err != nil {
		b.Fatalf("waiting for %s: %v", what, err)
	}
	b.Logf("%s after %s", what, time.Since(began).Round(100*time.Millisecond))
}

// waitUntil polls count every 200 ms until it reaches want, fails, or
// timeout passes.
func waitUntil(timeout time.Duration, count func() (int, error), want int) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return cluster.Poll(ctx, cluster.EventuallyInterval, func(context.Context) error {
		got, err := count()
		if err != nil {
			return cluster.Permanent(err)
		}
		if got < want {
			return fmt.Errorf("%d of %d", got, want)
		}
		return nil
	})
}

func must(b *testing.B, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}
