//go:build scale

package scale

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var (
	flaggerBin      = flag.String("flagger-bin", "../../bin/flagger", "the Flagger binary (`make tools` builds it from tools/flagger)")
	flaggerLogLevel = flag.String("flagger-log-level", "info", "Flagger's -log-level (its Helm chart's default)")
)

// BenchmarkCompare releases -canaries canaries at once three times, each on
// a fresh cluster of the same kind with the same workload: the cluster
// floor (the same cluster work done by a script, no controller), Flagger,
// then meshcanary. It prints one table with the three columns and the
// ratios, and writes it (compare-<N>.md) with the plot of every canary's
// weight over time (weights-<N>.svg) to the comparison's folder under
// <repo>/.e2e. Run it once (`make bench-compare N=100`):
//
//	go test -tags scale -run '^$' -bench Compare -benchtime 1x -timeout 6h ./test/scale -args -canaries 100 -replicas 2
func BenchmarkCompare(b *testing.B) {
	n := *canaries
	root, err := filepath.Abs(filepath.Join("..", "..", ".e2e", fmt.Sprintf("compare-%d-%s", n, time.Now().Format("20060102-150405"))))
	must(b, err)
	must(b, os.MkdirAll(root, 0o755))
	fl := flaggerContender{bin: *flaggerBin, toolsDir: filepath.Join("..", "..", "tools", "flagger"), logLevel: *flaggerLogLevel,
		replicas: int32(*replicas)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	load := sampleLoad(ctx)
	for b.Loop() {
		var loads [3]float64
		t0 := time.Now()
		floor := measureFloor(b, n, root)
		t1 := time.Now()
		loads[0] = load.mean(t0, t1)
		b.Logf("floor done after %s", t1.Sub(t0).Round(time.Second))
		fg := measure(b, n, fl, root)
		t2 := time.Now()
		loads[1] = load.mean(t1, t2)
		b.Logf("flagger done after %s", t2.Sub(t0).Round(time.Second))
		mc := measure(b, n, meshcanaryOf(), root)
		t3 := time.Now()
		loads[2] = load.mean(t2, t3)
		b.Logf("meshcanary done after %s", t3.Sub(t0).Round(time.Second))
		compareReport(b, root, n, floor, fg, mc, loads)
	}
}

// compareReport prints the side-by-side table (with the machine's mean
// load while the floor, Flagger and meshcanary ran) and writes it and the
// plot to dir; it fails b when either release did not finish, after both are
// reported.
func compareReport(b *testing.B, dir string, n int, floor floorRun, fg, mc run, loads [3]float64) {
	ff, gf, mf := floorFiguresOf(floor, n), figuresOf(fg), figuresOf(mc)
	t := compareTable(n, ff, gf, mf, loads)
	host, _ := os.Hostname()
	fmt.Printf("\nFlagger 1.44.0 and meshcanary side by side, N=%d canaries of %d replicas, on %s (logs in %s)\n\n%s\n",
		n, *replicas, host, dir, t)
	for _, r := range []run{fg, mc} {
		fmt.Printf("%s requests during the release: %s\n", r.contender, r.release)
	}
	fmt.Printf("floor: patch → canary copy back at 0 replicas, p50 %s\n\n", num(ff.scaledP50, 1, "s"))
	svg := plotWeights(fmt.Sprintf("canary weight per canary, N=%d, all images patched at once", n), []panel{
		panelOf("Flagger 1.44.0", "#d95f02", fg.patched, fg.weights),
		panelOf("meshcanary", "#1b9e77", mc.patched, mc.weights),
	})
	for name, content := range map[string]string{fmt.Sprintf("compare-%d.md", n): t, fmt.Sprintf("weights-%d.svg", n): svg} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			b.Error(err)
		}
	}
	fmt.Printf("wrote %s and %s\n", filepath.Join(dir, fmt.Sprintf("compare-%d.md", n)), filepath.Join(dir, fmt.Sprintf("weights-%d.svg", n)))
	for _, r := range []run{fg, mc} {
		if r.releaseErr != nil {
			b.Errorf("the %s release did not finish: %v", r.contender, r.releaseErr)
		}
	}
}
