//go:build scale

package scale

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/meshcanary/meshcanary/test/cluster"
)

// run is what one benchmark run recorded.
type run struct {
	contender  string // the controller's name
	runDir     string
	releaseErr error // why the release did not finish; nil when it did
	n          int
	adoption   time.Duration // controller start → every canary Ready
	idle       time.Duration // length of each idle window
	window     time.Duration // first patch → every canary Succeeded and scaled back to 0

	patched     map[string]time.Time // when each image patch was sent
	answered    map[string]time.Time // when the apiserver answered it
	progressing map[string]time.Time // when each status first said Progressing
	succeeded   map[string]time.Time // when each status first said Succeeded
	weights     map[string][]weightEvent
	vsWrites    int // VirtualService resourceVersions seen during the release

	before, after families       // the controller's metrics at the release's edges
	idleBefore    cluster.Counts // proxy counts over the idle window before the release
	release       cluster.Counts // proxy counts over the release
	idleAfter     cluster.Counts // proxy counts over the idle window after it

	cpuProc         float64         // the controller's CPU seconds over the release, from /proc
	machineCPU      string          // every process's CPU seconds over the release, by command
	pods            int             // Pods created during the release
	hwm, sampledRSS int64           // bytes
	peakRate        int             // the controller's most requests in one second of the release
	holds           map[string]int  // hold messages seen during the release, by what waited
	observedLags    []time.Duration // generation → observedGeneration of the canaries' Deployments
	reaction        *reactionWindow // nil when not every canary said Progressing
}

// figures are the numbers the table prints; NaN means not measured.
type figures struct {
	n                               int
	releaseP50, releaseP99          float64
	firstWeightP50, firstWeightP99  float64
	reactionP50, reactionP99        float64
	stepLagWatchP99, stepLagHistP99 float64
	stepLags, stepLagObs            int
	writes, proxyWrites, vsWrites   float64            // per canary per release
	vsWritesWatch                   float64            // per canary per release, seen by the watch
	weightChanges                   float64            // per canary per release, seen by the watch
	patchP50, patchP99              float64            // seconds from sending a patch to its answer
	writesByKind                    map[string]float64 // per canary per release, "<verb> <kind>"
	events                          float64            // per canary per release
	gets, lists                     float64            // per canary per release
	idleReads, idleWrites           float64            // per canary per 10 s, before the release
	idleAfterReads, idleAfterWrites float64            // per canary per 10 s, after it
	cpu                             float64            // seconds, release phase, from the metric
	cpuProc                         float64            // seconds, release phase, from /proc
	pods                            float64            // Pods created per canary per release
	hwmMB, sampledMB                float64
	adoption                        float64 // seconds
	succeeded                       int
	reconcileErrors, retries        float64
	peakRate                        int
	holds                           map[string]int
	observedP50, observedP99        float64 // seconds
}

// figuresOf derives the figures from a run.
func figuresOf(r run) figures {
	n := float64(r.n)
	f := figures{n: r.n, succeeded: len(r.succeeded), adoption: r.adoption.Seconds(), peakRate: r.peakRate, holds: r.holds}
	f.releaseP50, f.releaseP99 = quantiles(sincePatch(r.patched, r.succeeded))
	f.reactionP50, f.reactionP99 = quantiles(sincePatch(r.patched, r.progressing))
	f.patchP50, f.patchP99 = quantiles(sincePatch(r.patched, r.answered))
	f.observedP50, f.observedP99 = quantiles(r.observedLags)
	first, lags := weightTimes(r.patched, r.weights)
	f.firstWeightP50, f.firstWeightP99 = quantiles(first)
	_, f.stepLagWatchP99 = quantiles(lags)
	f.stepLags = len(lags)
	lagP99, obs := histogramQuantile(0.99, r.before.buckets("meshcanary_step_lag_seconds"), r.after.buckets("meshcanary_step_lag_seconds"))
	f.stepLagHistP99, f.stepLagObs = orNaN(lagP99, obs > 0), int(obs)

	delta := func(name string, match map[string]string) float64 {
		return r.after.sum(name, match) - r.before.sum(name, match)
	}
	f.writes = delta("meshcanary_api_writes_total", nil) / n
	f.vsWrites = delta("meshcanary_api_writes_total", map[string]string{"kind": "VirtualService"}) / n
	f.vsWritesWatch = float64(r.vsWrites) / n
	changes := 0
	for name, at := range r.patched {
		for _, w := range r.weights[name] {
			if !w.at.Before(at) {
				changes++
			}
		}
	}
	f.weightChanges = float64(changes) / n
	f.writesByKind = map[string]float64{}
	for _, m := range r.after["meshcanary_api_writes_total"].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if d := delta("meshcanary_api_writes_total", labels) / n; d != 0 {
			f.writesByKind[labels["verb"]+" "+labels["kind"]] = d
		}
	}
	f.proxyWrites = float64(r.release.Sum(cluster.WriteVerbs, "events")) / n
	f.events = float64(r.release.Sum(cluster.WriteVerbs)-r.release.Sum(cluster.WriteVerbs, "events")) / n
	f.gets = float64(r.release.Sum([]string{"get"})) / n
	f.lists = float64(r.release.Sum([]string{"list"})) / n
	f.cpu = delta("process_cpu_seconds_total", nil)
	f.cpuProc, f.pods = r.cpuProc, float64(r.pods)/n
	f.reconcileErrors = delta("meshcanary_reconcile_errors_total", nil)
	f.retries = delta("workqueue_retries_total", nil)

	per10s := n * r.idle.Seconds() / 10
	f.idleReads = float64(r.idleBefore.Sum(cluster.ReadVerbs)) / per10s
	f.idleWrites = float64(r.idleBefore.Sum(cluster.WriteVerbs)) / per10s
	f.idleAfterReads = float64(r.idleAfter.Sum(cluster.ReadVerbs)) / per10s
	f.idleAfterWrites = float64(r.idleAfter.Sum(cluster.WriteVerbs)) / per10s
	f.hwmMB, f.sampledMB = float64(r.hwm)/1e6, float64(r.sampledRSS)/1e6
	return f
}

// weightTimes returns, per canary, the time from its patch to the first
// weight its VirtualService gave the canary, and every step's lag: the time
// between two rising canary weights seen after the patch, minus the step
// interval.
func weightTimes(patched map[string]time.Time, weights map[string][]weightEvent) (first, lags []time.Duration) {
	for name, at := range patched {
		var prev *weightEvent
		gotFirst := false
		for _, w := range weights[name] {
			if w.at.Before(at) {
				continue
			}
			if w.weight > 0 && !gotFirst {
				first, gotFirst = append(first, w.at.Sub(at)), true
			}
			if prev != nil && prev.weight > 0 && w.weight > prev.weight {
				lags = append(lags, w.at.Sub(prev.at)-stepInterval)
			}
			prev = &w
		}
	}
	return first, lags
}

// sincePatch returns, for every canary in at, the time from its patch.
func sincePatch(patched, at map[string]time.Time) []time.Duration {
	var out []time.Duration
	for name, t := range at {
		if p, ok := patched[name]; ok {
			out = append(out, t.Sub(p))
		}
	}
	return out
}

// quantiles returns the p50 and p99 of ds in seconds, NaN when empty.
func quantiles(ds []time.Duration) (p50, p99 float64) {
	s := seconds(ds)
	a, ok := percentile(s, 0.50)
	b, _ := percentile(s, 0.99)
	return orNaN(a, ok), orNaN(b, ok)
}

func orNaN(v float64, ok bool) float64 {
	if !ok {
		return math.NaN()
	}
	return v
}

func TestWeightTimes(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	tests := map[string]struct {
		weights             []weightEvent
		wantFirst, wantLags []time.Duration
	}{
		"a full release gives the first weight and four step lags": {
			weights:   []weightEvent{{at(-60), 0}, {at(3), 10}, {at(13.1), 20}, {at(23.1), 30}, {at(33.3), 40}, {at(43.3), 50}, {at(58), 0}},
			wantFirst: []time.Duration{3 * time.Second},
			wantLags:  []time.Duration{100 * time.Millisecond, 0, 200 * time.Millisecond, 0},
		},
		"weights seen before the patch do not count": {
			weights:   []weightEvent{{at(-20), 10}, {at(-10), 20}, {at(-1), 0}, {at(4), 10}},
			wantFirst: []time.Duration{4 * time.Second},
		},
		"a rollback to zero and a new start are not a step": {
			weights:   []weightEvent{{at(2), 10}, {at(5), 0}, {at(30), 10}, {at(40), 20}},
			wantFirst: []time.Duration{2 * time.Second},
			wantLags:  []time.Duration{0},
		},
		"no weight after the patch gives nothing": {
			weights: []weightEvent{{at(-5), 0}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			first, lags := weightTimes(map[string]time.Time{"app-000": t0}, map[string][]weightEvent{"app-000": tc.weights})
			if diff := cmp.Diff(tc.wantFirst, first, cmpopts.EquateEmpty(), approxDuration); diff != "" {
				t.Errorf("first weight (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantLags, lags, cmpopts.EquateEmpty(), approxDuration); diff != "" {
				t.Errorf("step lags (-want +got):\n%s", diff)
			}
		})
	}
}

// approxDuration compares durations to the microsecond, as float seconds lose
// a little.
var approxDuration = cmp.Comparer(func(a, b time.Duration) bool { return (a - b).Abs() < time.Microsecond })
