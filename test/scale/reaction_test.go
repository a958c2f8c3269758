//go:build scale

package scale

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// reactionWindow is what the controller did from the first image patch
// until every canary's status said Progressing: where the reaction's time
// went.
type reactionWindow struct {
	took     time.Duration
	metrics  families        // the controller's metrics at the window's end
	requests cluster.Counts  // proxy counts over the window
	writes   []cluster.Write // the controller's writes sent in the window
	cpu      string          // the machine's CPU seconds over the window, by command
}

// watchReaction waits, in the background, until every canary's status says
// Progressing at or after t0 (or timeout passes), then reads the
// controller's metrics, the proxy's counts and, against cpu0 (every
// process's CPU at t0), the machine's CPU. The window arrives on the
// channel; nothing arrives when the wait timed out or the scrape failed.
func watchReaction(obs *observer, ctrl *controllerProcess, proxy *cluster.Proxy, names []string, t0 time.Time,
	p0 cluster.Counts, cpu0 map[string]procCPU, timeout time.Duration) <-chan reactionWindow {
	out := make(chan reactionWindow, 1)
	go func() {
		err := waitUntil(timeout, func() (int, error) { return len(obs.reached(names, stepper.PhaseProgressing, t0)), nil }, len(names))
		if err != nil {
			return
		}
		w := reactionWindow{took: time.Since(t0), requests: proxy.Snapshot().Minus(p0), cpu: cpuSpent(cpu0, cpuByProcess())}
		for _, wr := range proxy.WriteLog() {
			if !wr.Sent.Before(t0) && wr.Resource != "events" && wr.Resource != "leases" {
				w.writes = append(w.writes, wr)
			}
		}
		if w.metrics, err = ctrl.scrape(); err == nil {
			out <- w
		}
	}()
	return out
}

// printReaction prints where the reaction's time went: the reaction counted
// from the patch's answer (the API server's time apart), and over the
// window, the reconciles, how long keys waited in the workqueue and ran,
// and the controller's requests.
func printReaction(r run) {
	p50, p99 := quantiles(sincePatch(r.answered, r.progressing))
	fmt.Printf("reaction from the patch's answer (the API server's own time apart), p50 (p99): %.1f s (%.1f s)\n", p50, p99)
	if r.reaction == nil {
		fmt.Println("reaction window: not every canary said Progressing, or the controller could not be scraped")
		return
	}
	w := r.reaction
	n0, s0 := r.before.histogram("meshcanary_reconcile_duration_seconds")
	n1, s1 := w.metrics.histogram("meshcanary_reconcile_duration_seconds")
	fmt.Printf("reaction window (first patch → every canary Progressing, %.1f s): %.0f reconciles (%.1f per canary), %.1f ms each on average\n",
		w.took.Seconds(), n1-n0, (n1-n0)/float64(r.n), 1000*(s1-s0)/max(n1-n0, 1))
	fmt.Printf("  workqueue wait by upper bound: %s\n",
		bucketDelta(r.before.buckets("workqueue_queue_duration_seconds"), w.metrics.buckets("workqueue_queue_duration_seconds")))
	fmt.Printf("  reconcile (work) duration by upper bound: %s\n",
		bucketDelta(r.before.buckets("workqueue_work_duration_seconds"), w.metrics.buckets("workqueue_work_duration_seconds")))
	fmt.Printf("  controller requests: %s\n", w.requests)
	fmt.Printf("  CPU over the window, by process (%d cores: %.1f s in all): %s\n", runtime.NumCPU(), float64(runtime.NumCPU())*w.took.Seconds(), w.cpu)
	printReactionLegs(r.answered, r.progressing, w.writes)
}

// printReactionLegs splits each canary's reaction, from its patch's answer
// to its status seen Progressing, into three legs by the controller's first
// write for it (its slot's or its VirtualService's) in the window: the
// patch's answer → that write sent (the watch to the controller, the
// workqueue, the decision), the write sent → answered (the API server), and
// answered → seen Progressing by the benchmark's watch; and the reaction
// counted to that write answered, when the API server holds it and the
// benchmark's own watch does not count.
func printReactionLegs(answered, progressing map[string]time.Time, writes []cluster.Write) {
	var decide, write, seen, held []time.Duration
	for name, at := range answered {
		i := slices.IndexFunc(writes, func(w cluster.Write) bool {
			return w.Name == name || strings.HasPrefix(w.Name, name+"-")
		})
		p, ok := progressing[name]
		if i < 0 || !ok {
			continue
		}
		w := writes[i]
		decide, write, seen = append(decide, w.Sent.Sub(at)), append(write, w.Answered.Sub(w.Sent)), append(seen, p.Sub(w.Answered))
		held = append(held, w.Answered.Sub(at))
	}
	leg := func(d []time.Duration) string {
		p50, p99 := quantiles(d)
		return fmt.Sprintf("%.2f s (%.2f s)", p50, p99)
	}
	fmt.Printf("  reaction legs of %d canaries, p50 (p99): patch answered → the controller's first write sent %s; that write sent → answered %s; answered → seen Progressing %s\n",
		len(decide), leg(decide), leg(write), leg(seen))
	fmt.Printf("  patch answered → the controller's first write answered (the API server holds it, the benchmark's watch apart), p50 (p99): %s\n", leg(held))
}
