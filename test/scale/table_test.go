//go:build scale

package scale

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/meshcanary/meshcanary/internal/golden"
)

// flagger holds Flagger 1.44.0's figures on the same work, by N, in the
// order of the anchors' table (measured 2026-11-25 on a local control plane
// of the same kind; see the project's notes, anchors.md).
var flagger = map[int][9]string{
	10:  {"88 s", "18 s", "0.05 s", "18", "3.6", "144", "12", "0.5 s", "76 MB"},
	100: {"164 s", "29 s", "0.46 s", "18", "3.6", "245", "12.5", "17.9 s", "87 MB"},
	500: {"823 s", "149 s", "40.2 s", "18", "3.6", "274", "throttled", "≈ 101 s", "114 MB"},
}

// flaggerRSS is Flagger's peak RSS in MB by N, the memory target.
var flaggerRSS = map[int]float64{10: 76, 100: 87, 500: 114}

// row is one line of the table.
type row struct {
	what, flagger, ours, target string
}

// table renders the figures as a Markdown table beside Flagger's.
func table(f figures) string {
	fl, known := flagger[f.n]
	ref := func(i int) string {
		if !known {
			return "—"
		}
		return fl[i]
	}
	rssTarget := "≤ Flagger's"
	if mb, ok := flaggerRSS[f.n]; ok {
		rssTarget = check(f.hwmMB <= mb, fmt.Sprintf("≤ %.0f MB", mb))
	}
	rows := []row{
		{"release: image patch → Succeeded, p50 (p99)", ref(0), pair(f.releaseP50, f.releaseP99, "s"), "N=500 within 1.2× of N=10"},
		{"patch → first weight write, p50 (p99)", ref(1), pair(f.firstWeightP50, f.firstWeightP99, "s"), ""},
		{"step lag (gap between weight writes − 10 s), p99", ref(2),
			fmt.Sprintf("%s watch (%d gaps); %s controller histogram (%d steps)",
				num(f.stepLagWatchP99, 3, "s"), f.stepLags, num(f.stepLagHistP99, 3, "s"), f.stepLagObs),
			check(f.stepLagWatchP99 < 0.5 && f.stepLagHistP99 < 0.5, "< 0.5 s")},
		{"API writes per canary per release, without Events", ref(3),
			fmt.Sprintf("%s (proxy: %s)", num(f.writes, 2, ""), num(f.proxyWrites, 2, "")), check(f.writes <= 8, "≤ 8")},
		{"…of which per weight step", ref(4), num(f.writes/stepCount, 2, ""), ""},
		{"GETs per canary per release", ref(5),
			fmt.Sprintf("%s (GET %s + LIST %s)", num(f.gets+f.lists, 2, ""), num(f.gets, 2, ""), num(f.lists, 2, "")), ""},
		{"GETs while idle, per canary per 10 s", ref(6), num(f.idleReads, 3, ""), check(f.idleReads == 0, "0")},
		{"CPU seconds for the release phase", ref(7), num(f.cpu, 2, "s"), ""},
		{"peak RSS (VmHWM; max sampled VmRSS)", ref(8), fmt.Sprintf("%s (%s)", num(f.hwmMB, 0, "MB"), num(f.sampledMB, 0, "MB")), rssTarget},
		{"reaction: patch → status Progressing, p50 (p99)", "", pair(f.reactionP50, f.reactionP99, "s"), check(f.reactionP99 < 2, "p99 < 2 s")},
		{"VirtualService writes per canary per release (metric; watch) / weight changes seen", "",
			fmt.Sprintf("%s; %s / %s", num(f.vsWrites, 2, ""), num(f.vsWritesWatch, 2, ""), num(f.weightChanges, 2, "")),
			check(f.vsWrites <= f.weightChanges, "≤ 1 per weight change")},
		{"writes per canary per release by verb and kind (metric)", "", byKind(f.writesByKind), ""},
		{"Events per canary per release", "", num(f.events, 2, ""), ""},
		{"reads / writes while idle after the release, per canary per 10 s", "",
			fmt.Sprintf("%s / %s", num(f.idleAfterReads, 3, ""), num(f.idleAfterWrites, 3, "")), check(f.idleAfterReads == 0 && f.idleAfterWrites == 0, "0 / 0")},
		{"writes while idle before the release, per canary per 10 s", "", num(f.idleWrites, 3, ""), check(f.idleWrites == 0, "0")},
		{"canaries Succeeded", "", fmt.Sprintf("%d of %d", f.succeeded, f.n), check(f.succeeded == f.n, "all")},
		{"benchmark's image patch: sent → answered, p50 (p99)", "", fmt.Sprintf("%s (%s)", num(f.patchP50, 3, "s"), num(f.patchP99, 3, "s")), ""},
		{"Deployment controller: a canary's new generation → observed, p50 (p99)", "", pair(f.observedP50, f.observedP99, "s"), ""},
		{"adoption: controller start → all Ready", "", num(f.adoption, 1, "s"), ""},
		{"reconcile errors; workqueue retries (AddAfter included)", "",
			fmt.Sprintf("%s; %s", num(f.reconcileErrors, 0, ""), num(f.retries, 0, "")), ""},
		{"controller's peak requests per second in the release (by default no client-side limit for Kubernetes and Istio, at most --workers, 32 by default, in flight; 20/s, burst 50, for Events)", "", fmt.Sprint(f.peakRate), ""},
		{"holds (a step over its bake time that could not advance), by what it waited for", "", byWait(f.holds), ""},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| | Flagger N=%d | meshcanary N=%d | target |\n|---|---|---|---|\n", f.n, f.n)
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.what, r.flagger, r.ours, r.target)
	}
	return b.String()
}

// byKind lists writes per kind as "update Deployment 10.9, ...", sorted.
func byKind(m map[string]float64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %s", k, num(m[k], 2, "")))
	}
	return strings.Join(parts, ", ")
}

// byWait lists hold counts as "canary weight 10% not applied ×3; ...",
// most frequent first.
func byWait(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, "; ")
}

// num formats v with the given decimals and unit; NaN is "—".
func num(v float64, decimals int, unit string) string {
	if math.IsNaN(v) {
		return "—"
	}
	s := fmt.Sprintf("%.*f", decimals, v)
	if unit != "" {
		s += " " + unit
	}
	return s
}

// pair formats a p50 and its p99 as "p50 (p99)".
func pair(p50, p99 float64, unit string) string {
	return fmt.Sprintf("%s (%s)", num(p50, 1, unit), num(p99, 1, unit))
}

// check marks a target met (✓) or missed (✗).
func check(met bool, target string) string {
	if met {
		return target + " ✓"
	}
	return target + " ✗"
}

func TestTableMatchesGolden(t *testing.T) {
	tests := map[string]figures{
		"a run at N=10 prints Flagger's N=10 figures and marks every target": {
			n: 10, releaseP50: 56.3, releaseP99: 57.5, firstWeightP50: 3.2, firstWeightP99: 3.6,
			reactionP50: 0.21, reactionP99: 0.9, stepLagWatchP99: 0.052, stepLagHistP99: 0.23, stepLags: 40, stepLagObs: 40,
			writes: 18, proxyWrites: 18, vsWrites: 6, vsWritesWatch: 6, weightChanges: 6, events: 9, gets: 0.4, lists: 2,
			patchP50: 0.012, patchP99: 0.02, writesByKind: map[string]float64{"update Deployment": 11, "update VirtualService": 6, "update DestinationRule": 1},
			observedP50: 0.01, observedP99: 0.05, cpu: 0.88, hwmMB: 42.85, sampledMB: 42.5, adoption: 4.2, succeeded: 10, reconcileErrors: 4, retries: 314,
		},
		"a run at an N Flagger was not measured at, with figures missing, prints dashes": {
			n: 7, releaseP50: math.NaN(), releaseP99: math.NaN(), firstWeightP50: math.NaN(), firstWeightP99: math.NaN(),
			reactionP50: math.NaN(), reactionP99: math.NaN(), stepLagWatchP99: math.NaN(), stepLagHistP99: math.NaN(),
			patchP50: 0.01, patchP99: 0.01, observedP50: math.NaN(), observedP99: math.NaN(), idleReads: 1.5, succeeded: 3,
		},
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) {
			got := table(f)
			golden.Check(t, fmt.Sprintf("table-%d.golden.md", f.n), got)
		})
	}
}
