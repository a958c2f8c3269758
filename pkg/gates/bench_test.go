package gates

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/gates/promql"
)

// BenchmarkEvaluationRound evaluates 1,000 canaries, each with error-rate
// (absolute and relative), latency (absolute and ratio), CPU and memory
// gates, against an httptest Prometheus, with 8 workers as the controller
// runs them. One op is one round: every canary evaluated once. It reports
// the Prometheus queries per round, which depend on the namespaces, not on
// the canaries.
//
//	go test -run '^$' -bench EvaluationRound -benchtime 20x ./pkg/gates
func BenchmarkEvaluationRound(b *testing.B) {
	for _, namespaces := range []int{1, 10} {
		b.Run(fmt.Sprintf("1000 canaries in %d namespaces", namespaces), func(b *testing.B) {
			benchmarkRound(b, 1000, namespaces)
		})
	}
}

func benchmarkRound(b *testing.B, canaries, namespaces int) {
	te := newTestEvaluator(&testing.T{}, func(o *Options) { o.QueryTimeout = 10 * time.Second })
	defer te.prom.srv.Close()
	var tick atomic.Int64                                       // counters grow every round
	cumulative := []float64{100, 300, 600, 800, 950, 995, 1000} // p99 ≈ 90ms
	releases := make([]Release, canaries)
	perNS := canaries / namespaces
	for n := range namespaces {
		ns := fmt.Sprintf("ns-%d", n)
		names := make([]string, perNS)
		for i := range names {
			names[i] = fmt.Sprintf("app-%d", i)
			r := release(names[i], t0.Add(time.Minute))
			r.Namespace = ns
			releases[n*perNS+i] = r
		}
		te.prom.answerAt(promql.Requests(ns), func(time.Time) []sample {
			k := float64(tick.Load())
			var out []sample
			for _, w := range names {
				out = append(out, reqSeries(w, "200", 100*k), reqSeries(w, "503", k), reqSeries(w+"-primary", "200", 1900*k), reqSeries(w+"-primary", "503", 19*k))
			}
			return out
		})
		te.prom.answerAt(promql.Durations(ns), func(time.Time) []sample {
			k := float64(tick.Load())
			var out []sample
			for _, w := range []string{"", "-primary"} {
				for _, name := range names {
					for i, le := range []string{"1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "+Inf"} {
						out = append(out, bucketSeries(name+w, le, k*cumulative[min(i, len(cumulative)-1)]))
					}
				}
			}
			return out
		})
		pods := func(v float64) func(time.Time) []sample {
			return func(time.Time) []sample {
				var out []sample
				for _, name := range names {
					out = append(out, podSeries(name+"-5d9f8b7c4-x2x7q", v), podSeries(name+"-primary-6c8d5f9b8-bcdfg", v))
				}
				return out
			}
		}
		te.prom.answerAt(promql.CPU(ns, DefaultResourceWindow), pods(0.2))
		te.prom.answerAt(promql.Memory(ns), pods(100<<20))
	}
	s := specs(&testing.T{}, map[string]string{
		GatePrefix + KeyErrorRate: "max=5%, relative",
		GatePrefix + KeyLatency:   "p99<500ms, p50<1.5x",
		GatePrefix + KeyCPU:       "<2x",
		GatePrefix + KeyMemory:    "<2x",
	})
	round := func() {
		te.round()
		tick.Add(1)
		work := make(chan Release)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := range work {
					for _, v := range te.Evaluate(context.Background(), s, r) {
						if v.Result == Fail {
							b.Errorf("%s/%s: %+v", r.Namespace, r.Deployment, v)
						}
					}
				}
			}()
		}
		for _, r := range releases {
			work <- r
		}
		close(work)
		wg.Wait()
	}
	round() // the first round also takes the baselines at the step start
	warmup := len(te.prom.queries())
	b.ResetTimer()
	for range b.N {
		round()
	}
	b.StopTimer()
	b.ReportMetric(float64(len(te.prom.queries()))/float64(b.N), "queries/round")
	b.ReportMetric(float64(warmup), "queries/first-round")
	b.ReportMetric(float64(canaries), "canaries/round")
}
