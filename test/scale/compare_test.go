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
	onlyFloor       = flag.Bool("only-floor", false, "measure the two cluster floors only, without Flagger and meshcanary (`make bench-floor`)")
)

// BenchmarkCompare releases -canaries canaries at once four times, each on
// a fresh cluster of the same kind with the same workload: the cluster
// floor twice (the same cluster work done by a script, no controller: once
// promoted by the primary's rollout, as meshcanary does, once by the role
// swap of docs/design.md), Flagger, then meshcanary. It prints the floors'
// table, then one table with the floor, Flagger and meshcanary and the
// ratios, and writes them (floors-<N>.md, compare-<N>.md) with the plot of
// every canary's weight over time (weights-<N>.svg) to the comparison's
// folder under <repo>/.e2e. With -only-floor it stops after the floors.
// Run it once (`make bench-compare N=100`, `make bench-floor N=100`):
//
//	go test -tags scale -run '^$' -bench Compare -benchtime 1x -timeout 6h ./test/scale -args -canaries 100 -replicas 2
func BenchmarkCompare(b *testing.B) {
	checkPromotion(b)
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
		start := time.Now()
		mark := start
		// phaseLoad is the mean load since the previous phase ended.
		phaseLoad := func(what string) float64 {
			now := time.Now()
			l := load.mean(mark, now)
			mark = now
			b.Logf("%s done after %s (load average %.1f)", what, now.Sub(start).Round(time.Second), l)
			return l
		}
		floor := floorFiguresOf(measureFloor(b, n, root, rollOut), n)
		floorLoad := phaseLoad("floor (rollout)")
		swap := floorFiguresOf(measureFloor(b, n, root, swapRoles), n)
		floorReport(b, root, n, floor, swap, [2]float64{floorLoad, phaseLoad("floor (role swap)")})
		if *onlyFloor {
			continue
		}
		fg := measure(b, n, fl, root)
		flaggerLoad := phaseLoad("flagger")
		mc := measure(b, n, meshcanaryOf(), root)
		compareReport(b, root, n, floor, fg, mc, [3]float64{floorLoad, flaggerLoad, phaseLoad("meshcanary")})
	}
}

// floorReport prints the floors' table and writes it to dir.
func floorReport(b *testing.B, dir string, n int, rollout, swap floorFigures, loads [2]float64) {
	t := floorTable(n, rollout, swap, loads)
	fmt.Printf("\nThe cluster floor, N=%d canaries of %d replicas, promoted two ways (logs in %s)\n\n%s\n", n, *replicas, dir, t)
	name := filepath.Join(dir, fmt.Sprintf("floors-%d.md", n))
	if err := os.WriteFile(name, []byte(t), 0o644); err != nil {
		b.Error(err)
	}
	fmt.Printf("wrote %s\n", name)
}

// compareReport prints the side-by-side table (with the machine's mean
// load while the floor, Flagger and meshcanary ran) and writes it and the
// plot to dir; it fails b when either release did not finish, after both are
// reported.
func compareReport(b *testing.B, dir string, n int, ff floorFigures, fg, mc run, loads [3]float64) {
	gf, mf := figuresOf(fg), figuresOf(mc)
	t := compareTable(n, ff, gf, mf, loads)
	host, _ := os.Hostname()
	fmt.Printf("\nFlagger 1.44.0 and meshcanary side by side, N=%d canaries of %d replicas, on %s (logs in %s)\n\n%s\n",
		n, *replicas, host, dir, t)
	for _, r := range []run{fg, mc} {
		fmt.Printf("%s requests during the release (%.1f s: first patch → every canary Succeeded and scaled back to 0): %s\n",
			r.contender, r.window.Seconds(), r.release)
		fmt.Printf("%s: CPU over the release, by process: %s\n", r.contender, r.machineCPU)
		if r.reaction != nil {
			fmt.Printf("%s:", r.contender)
			printReactionLegs(r.answered, r.progressing, r.reaction.writes)
			fmt.Printf("  CPU from the first patch until every canary said Progressing (%.1f s), by process: %s\n", r.reaction.took.Seconds(), r.reaction.cpu)
		}
	}
	fmt.Println()
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
