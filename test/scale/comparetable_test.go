//go:build scale

package scale

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/internal/golden"
)

// floorFigures are a cluster floor's figures.
type floorFigures struct {
	releaseP50, releaseP99 float64 // seconds, the canary's patch → promoted
	scaledP50, scaledP99   float64 // seconds, the canary's patch → the leaving Deployment back at 0
	pods                   float64 // Pods created per canary
}

// floorFiguresOf derives the floor's figures from its run.
func floorFiguresOf(f floorRun, n int) floorFigures {
	var ff floorFigures
	ff.releaseP50, ff.releaseP99 = quantiles(sincePatch(f.patched, f.promoted))
	ff.scaledP50, ff.scaledP99 = quantiles(sincePatch(f.patched, f.scaled))
	ff.pods = float64(f.pods) / float64(n)
	return ff
}

// floorTable renders the two floors of one run, promotion by the primary's
// rollout and by role swap, as one Markdown table with the ratio of the
// swap's figures to the rollout's and the machine's mean 1-minute load
// average while each ran.
func floorTable(n int, rollout, swap floorFigures, loads [2]float64) string {
	schedule := (stepCount * stepInterval).Seconds()
	rows := [][4]string{
		{"patch → promoted, p50 (p99); rollout: the primary rolled out, swap: the canary slot available + the schedule",
			pair(rollout.releaseP50, rollout.releaseP99, "s"), pair(swap.releaseP50, swap.releaseP99, "s"), ratio(swap.releaseP50, rollout.releaseP50)},
		{fmt.Sprintf("…beyond the schedule (p50 − %.0f s): the time the cluster takes", schedule),
			num(rollout.releaseP50-schedule, 1, "s"), num(swap.releaseP50-schedule, 1, "s"),
			ratio(swap.releaseP50-schedule, rollout.releaseP50-schedule)},
		{"patch → the leaving Deployment back at 0 replicas (rollout: the canary copy; swap: the old primary's slot), p50 (p99)",
			pair(rollout.scaledP50, rollout.scaledP99, "s"), pair(swap.scaledP50, swap.scaledP99, "s"), ratio(swap.scaledP50, rollout.scaledP50)},
		{"Pods created per canary per release", num(rollout.pods, 1, ""), num(swap.pods, 1, ""), ratio(swap.pods, rollout.pods)},
		{"machine load average (1 min), mean over the phase, on 2 shared cores", num(loads[0], 1, ""), num(loads[1], 1, ""), ""},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| N=%d, cluster floor (no controller) | promotion by the primary's rollout (today) | promotion by role swap (prototype) | swap ÷ rollout |\n", n)
	b.WriteString("|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r[0], r[1], r[2], r[3])
	}
	return b.String()
}

// compareRow is one line of the side-by-side table: the floor's figure
// (or empty), Flagger's, meshcanary's, meshcanary's over Flagger's, and
// the target for meshcanary, marked met or missed.
type compareRow struct {
	what, floor, flagger, meshcanary, ratio, target string
}

// compareTable renders the floor's, Flagger's and meshcanary's figures of
// one run as one Markdown table, with the machine's mean 1-minute load
// average while each ran.
func compareTable(n int, fl floorFigures, fg, mc figures, loads [3]float64) string {
	releaseOverFloor := func(f figures) float64 { return f.releaseP50 / fl.releaseP50 }
	rows := []compareRow{
		{"release: image patch → Succeeded, p50 (p99); floor: patch → primary rolled out",
			pair(fl.releaseP50, fl.releaseP99, "s"), pair(fg.releaseP50, fg.releaseP99, "s"), pair(mc.releaseP50, mc.releaseP99, "s"),
			ratio(mc.releaseP50, fg.releaseP50), ""},
		{"release p50 ÷ floor p50", "1", num(releaseOverFloor(fg), 2, ""), num(releaseOverFloor(mc), 2, ""),
			ratio(releaseOverFloor(mc), releaseOverFloor(fg)), check(releaseOverFloor(mc) <= 1.1, "≤ 1.1")},
		{"patch → first weight write, p50 (p99)", "",
			pair(fg.firstWeightP50, fg.firstWeightP99, "s"), pair(mc.firstWeightP50, mc.firstWeightP99, "s"),
			ratio(mc.firstWeightP50, fg.firstWeightP50), ""},
		{"step lag (gap between weight writes − 10 s), p99", "",
			num(fg.stepLagWatchP99, 3, "s"), num(mc.stepLagWatchP99, 3, "s"),
			ratio(mc.stepLagWatchP99, fg.stepLagWatchP99), check(mc.stepLagWatchP99 < 0.5, "< 0.5 s")},
		{"reaction: patch → Progressing, p50 (p99)", "",
			pair(fg.reactionP50, fg.reactionP99, "s"), pair(mc.reactionP50, mc.reactionP99, "s"),
			ratio(mc.reactionP99, fg.reactionP99), check(mc.reactionP99 < 2, "p99 < 2 s")},
		{"API writes per canary per release, without Events", "",
			num(fg.proxyWrites, 1, ""), num(mc.proxyWrites, 1, ""), ratio(mc.proxyWrites, fg.proxyWrites), check(mc.proxyWrites <= 8, "≤ 8")},
		{"Events per canary per release", "", num(fg.events, 1, ""), num(mc.events, 1, ""), ratio(mc.events, fg.events), ""},
		{"reads (GET + LIST) per canary per release", "",
			num(fg.gets+fg.lists, 1, ""), num(mc.gets+mc.lists, 1, ""), ratio(mc.gets+mc.lists, fg.gets+fg.lists), ""},
		{"reads while idle, per canary per 10 s", "", num(fg.idleReads, 2, ""), num(mc.idleReads, 2, ""),
			ratio(mc.idleReads, fg.idleReads), check(mc.idleReads == 0, "0")},
		{"controller CPU seconds over the release", "", num(fg.cpuProc, 1, "s"), num(mc.cpuProc, 1, "s"),
			ratio(mc.cpuProc, fg.cpuProc), check(mc.cpuProc <= 0.5*fg.cpuProc, "≤ 0.5 × Flagger's")},
		{"controller peak RSS (VmHWM)", "", num(fg.hwmMB, 0, "MB"), num(mc.hwmMB, 0, "MB"),
			ratio(mc.hwmMB, fg.hwmMB), check(mc.hwmMB <= fg.hwmMB, "≤ Flagger's")},
		{"Pods created per canary per release", num(fl.pods, 1, ""), num(fg.pods, 1, ""), num(mc.pods, 1, ""),
			ratio(mc.pods, fg.pods), ""},
		{"canaries Succeeded", "", fmt.Sprintf("%d of %d", fg.succeeded, n), fmt.Sprintf("%d of %d", mc.succeeded, n), "",
			check(mc.succeeded == n, "all")},
		{"machine load average (1 min), mean over the phase, on 2 shared cores",
			num(loads[0], 1, ""), num(loads[1], 1, ""), num(loads[2], 1, ""), "", ""},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| N=%d | floor (no controller) | Flagger 1.44.0 | meshcanary | meshcanary ÷ Flagger | target |\n", n)
	b.WriteString("|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.what, r.floor, r.flagger, r.meshcanary, r.ratio, r.target)
	}
	return b.String()
}

// ratio formats ours ÷ theirs as "×0.52", "—" when either is missing or
// theirs is 0.
func ratio(ours, theirs float64) string {
	if math.IsNaN(ours) || math.IsNaN(theirs) || theirs == 0 {
		return "—"
	}
	return fmt.Sprintf("×%.2f", ours/theirs)
}

// twoCanaryFloor is the floor figures of canaries app-000 and app-001,
// both patched at the same time, promoted and scaled the given seconds
// later, with pods Pods created.
func twoCanaryFloor(promoted, scaled [2]float64, pods int) floorFigures {
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	return floorFiguresOf(floorRun{
		patched:  map[string]time.Time{"app-000": t0, "app-001": t0},
		promoted: map[string]time.Time{"app-000": at(promoted[0]), "app-001": at(promoted[1])},
		scaled:   map[string]time.Time{"app-000": at(scaled[0]), "app-001": at(scaled[1])},
		pods:     pods,
	}, 2)
}

func TestFloorTableMatchesGolden(t *testing.T) {
	rollout := twoCanaryFloor([2]float64{61.5, 63}, [2]float64{62, 64}, 8)
	swap := twoCanaryFloor([2]float64{55, 56}, [2]float64{57, 58.5}, 4)
	golden.Check(t, "floors-2.golden.md", floorTable(2, rollout, swap, [2]float64{3.1, math.NaN()}))
}

func TestCompareTableMatchesGolden(t *testing.T) {
	floor := twoCanaryFloor([2]float64{61.5, 63}, [2]float64{62, 64}, 8)
	flagger := figures{n: 2, releaseP50: 88, releaseP99: 90, firstWeightP50: 18, firstWeightP99: 19, stepLagWatchP99: 0.05,
		reactionP50: 8, reactionP99: 10, proxyWrites: 18, events: 12, gets: 140, lists: 4, idleReads: 12, cpuProc: 0.5,
		hwmMB: 76, pods: 4, succeeded: 2}
	meshcanary := figures{n: 2, releaseP50: 66, releaseP99: 67, firstWeightP50: 3, firstWeightP99: 3.5, stepLagWatchP99: 0.04,
		reactionP50: 0.2, reactionP99: 0.4, proxyWrites: 9, events: 8, gets: 2, lists: 1, idleReads: 0, cpuProc: 0.3,
		hwmMB: 43, pods: 4, succeeded: 2, stepLagHistP99: math.NaN()}
	got := compareTable(2, floor, flagger, meshcanary, [3]float64{3.1, 4.25, math.NaN()})
	golden.Check(t, "compare-2.golden.md", got)
	if got := ratio(1, 0); got != "—" {
		t.Errorf("ratio(1, 0) = %q, want —", got)
	}
}
