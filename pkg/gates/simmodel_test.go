package gates

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// simTraffic is the traffic of one simulated release: Poisson requests at
// rate per second in total, a share of which are "events" (errors for the
// error-rate gates, requests slower than the limit for the latency gate),
// at the primary's and the canary's own event rates.
type simTraffic struct {
	rng             *rand.Rand
	rate            float64 // requests per second, both workloads
	primary, canary float64 // event rates
}

// draw draws one interval at the canary's weight in percent, events in
// the error fields. Thinning a Poisson process: events and other requests
// are independent Poisson counts.
func (tr simTraffic) draw(weight float64, d time.Duration) seqtest.Counts {
	n := tr.rate * d.Seconds()
	w := weight / 100
	var c seqtest.Counts
	c.CanaryErrors = poisson(tr.rng, n*w*tr.canary)
	c.CanaryRequests = c.CanaryErrors + poisson(tr.rng, n*w*(1-tr.canary))
	c.PrimaryErrors = poisson(tr.rng, n*(1-w)*tr.primary)
	c.PrimaryRequests = c.PrimaryErrors + poisson(tr.rng, n*(1-w)*(1-tr.primary))
	return c
}

// poisson draws a Poisson variate exactly: Knuth's method for small means,
// Hörmann's transformed rejection (PTRS) for large ones.
func poisson(r *rand.Rand, mean float64) float64 {
	if mean <= 0 {
		return 0
	}
	if mean < 10 {
		limit, k, p := math.Exp(-mean), 0.0, r.Float64()
		for p > limit {
			k++
			p *= r.Float64()
		}
		return k
	}
	slam, llam := math.Sqrt(mean), math.Log(mean)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha, vr := 1.1239+1.1328/(b-3.4), 0.9277-3.6224/(b-2)
	for {
		u, v := r.Float64()-0.5, r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + mean + 0.43)
		if us >= 0.07 && v <= vr {
			return k
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -mean+k*llam-lg {
			return k
		}
	}
}

// simOutcome is one simulated release.
type simOutcome struct {
	rolledBack bool
	before50   bool          // rolled back before the canary reached the last step
	onTime     bool          // promoted within the schedule plus one step interval
	requests   float64       // canary requests when the answer was in
	duration   time.Duration // until promotion or rollback
}

// simRelease runs one release as the stepper does: a check every
// CheckInterval; MaxFailedChecks failed checks roll back; a step advances
// at a check at or after its end only on Pass and otherwise holds, at most
// MaxHold past its end, then rolls back. judge turns the release's and the
// step's counts into a result, as the evaluator does.
//
// To measure how many requests the test needs to decide, independently of
// how often the stepper looks, each check interval is cut into looks
// batches, and the gate judges after each: the first Fail gives the
// decision's requests (the stepper still acts on the check's last verdict).
func simRelease(tr simTraffic, cfg config.Config, looks int, judge func(simState) Result) simOutcome {
	var st simState
	failed, stepStart, now := 0, time.Duration(0), time.Duration(0)
	last := len(cfg.Steps) - 1
	schedule := time.Duration(len(cfg.Steps)) * cfg.StepInterval
	decided := 0.0
	for i := 0; ; {
		now += cfg.CheckInterval
		st.moreSteps = i < last
		st.lastCall = i == last && now-stepStart >= 2*cfg.StepInterval
		var r Result
		for range looks {
			st.add(tr.draw(float64(cfg.Steps[i])*100/float64(cfg.Total), cfg.CheckInterval/time.Duration(looks)))
			if r = judge(st); r == Fail && decided == 0 {
				decided = st.total.CanaryRequests
			}
		}
		rollback := simOutcome{rolledBack: true, before50: i < last, requests: st.total.CanaryRequests, duration: now}
		if decided > 0 {
			rollback.requests = decided
		}
		if r == Fail {
			if failed++; failed >= cfg.MaxFailedChecks {
				return rollback
			}
			continue
		}
		if now-stepStart < cfg.StepInterval {
			continue
		}
		if r != Pass {
			if now-stepStart-cfg.StepInterval >= cfg.MaxHold {
				return rollback
			}
			continue
		}
		if i == last {
			return simOutcome{onTime: now <= schedule+cfg.StepInterval, requests: st.total.CanaryRequests, duration: now}
		}
		i, stepStart, st.step = i+1, now, seqtest.Counts{}
	}
}

// simState is what the gates have seen of a release: its totals, the
// current step's, and this check's batch.
type simState struct {
	total, step, batch  seqtest.Counts
	moreSteps, lastCall bool
}

func (s *simState) add(b seqtest.Counts) {
	s.total, s.step, s.batch = s.total.Plus(b), s.step.Plus(b), b
}

// flaggerRule is a fixed-threshold rule like Flagger's: every interval the
// canary's rate over that interval is checked against a limit; a check
// above it, or without any request ("no values found"), is a failed
// check, and threshold failed checks roll back. A passed check advances
// the weight.
type flaggerRule struct {
	limit     float64
	threshold int
}

const simFlaggerTick = time.Minute // Flagger's analysis interval

func (f flaggerRule) run(tr simTraffic, weights []float64) simOutcome {
	var total float64
	failed, now := 0, time.Duration(0)
	for i := 0; i < len(weights); {
		now += simFlaggerTick
		b := tr.draw(weights[i], simFlaggerTick)
		n, events := b.CanaryRequests, b.CanaryErrors
		total += n
		if n > 0 && events/n <= f.limit {
			i++
			continue
		}
		if failed++; failed >= f.threshold {
			return simOutcome{rolledBack: true, before50: i < len(weights)-1, requests: total, duration: now}
		}
	}
	return simOutcome{onTime: now <= time.Duration(len(weights)+1)*simFlaggerTick, requests: total, duration: now}
}
