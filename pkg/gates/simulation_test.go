package gates

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// The simulation follows issue 4: Poisson traffic of 20 requests/s in
// total, a primary error rate of 1 %, steps of 5 %, 25 % and 50 % of one
// minute each; healthy canaries have the primary's error rate, regressed
// ones 3x and 10x. It runs meshcanary's relative error-rate gate (the
// judge function the evaluator uses) with the default gate settings and
// the controller's default check interval, max failed checks and max hold,
// and a fixed-threshold rule like Flagger's, side by side.
const (
	simRuns        = 5000
	simRate        = 20.0 // requests per second
	simBaseErrors  = 0.01
	simFlaggerTick = time.Minute // Flagger's analysis interval
)

// simConfig is the release configuration of the simulation: the steps of
// the issue and every other setting at its default.
func simConfig(t *testing.T) config.Config {
	cfg, probs := config.Parse("web", map[string]string{config.Prefix + config.KeySteps: "5,25,50"})
	if len(probs) > 0 || cfg.StepInterval != time.Minute || cfg.CheckInterval <= 0 {
		t.Fatalf("config %+v, problems %v", cfg, probs)
	}
	return cfg
}

// simOutcome is one simulated release.
type simOutcome struct {
	rolledBack bool
	before50   bool          // rolled back before the canary reached 50 %
	requests   float64       // canary requests when the rule gave its final answer
	duration   time.Duration // until promotion or rollback
}

// traffic draws one interval of requests and errors of both workloads.
type traffic struct {
	rng   *rand.Rand
	ratio float64 // canary error rate / primary's
}

func (tr traffic) draw(weight float64, d time.Duration) seqtest.Counts {
	weight /= 100
	n := simRate * d.Seconds()
	// Thinning a Poisson process: errors and successes are independent
	// Poisson counts.
	ce := poisson(tr.rng, n*weight*simBaseErrors*tr.ratio)
	cs := poisson(tr.rng, n*weight*(1-simBaseErrors*tr.ratio))
	pe := poisson(tr.rng, n*(1-weight)*simBaseErrors)
	ps := poisson(tr.rng, n*(1-weight)*(1-simBaseErrors))
	return seqtest.Counts{CanaryRequests: ce + cs, CanaryErrors: ce, PrimaryRequests: pe + ps, PrimaryErrors: pe}
}

// poisson draws a Poisson variate exactly: Knuth's method for small means,
// the sum of two halves for large ones.
func poisson(r *rand.Rand, mean float64) float64 {
	if mean > 30 {
		return poisson(r, mean/2) + poisson(r, mean/2)
	}
	limit, k, p := math.Exp(-mean), 0.0, r.Float64()
	for p > limit {
		k++
		p *= r.Float64()
	}
	return k
}

// simMeshcanary runs a release with the relative error-rate gate as the
// stepper does: a check every CheckInterval; MaxFailedChecks failed checks
// roll back; a step advances at its end only on Pass and otherwise holds,
// at most MaxHold past its end, then rolls back.
func simMeshcanary(tr traffic, s Spec, cfg config.Config) simOutcome {
	var ev seqtest.Evidence
	var step, total seqtest.Counts
	var decided float64 // canary requests when the test first passed conclusively
	failed, stepStart, now := 0, time.Duration(0), time.Duration(0)
	half := int32(len(cfg.Steps) - 1) // index of the 50 % step
	for i := int32(0); ; {
		weight := float64(cfg.Steps[i]) * 100 / float64(cfg.Total)
		now += cfg.CheckInterval
		batch := tr.draw(weight, cfg.CheckInterval)
		ev = s.Test.Add(ev, batch)
		step, total = step.Plus(batch), total.Plus(batch)
		v := judgeErrorRatio(s, ev, step, int(i) < len(cfg.Steps)-1)
		rollback := simOutcome{rolledBack: true, before50: i < half, requests: total.CanaryRequests, duration: now}
		switch {
		case v.Result == Fail:
			if failed++; failed >= cfg.MaxFailedChecks {
				return rollback
			}
			continue
		case decided == 0 && s.Test.Decide(ev) == seqtest.Pass:
			decided = total.CanaryRequests
		}
		if now-stepStart < cfg.StepInterval {
			continue
		}
		if v.Result != Pass {
			if now-stepStart-cfg.StepInterval >= cfg.MaxHold {
				return rollback
			}
			continue
		}
		if i++; int(i) == len(cfg.Steps) {
			return simOutcome{requests: decided, duration: now}
		}
		stepStart, step = now, seqtest.Counts{}
	}
}

// flaggerRule is a fixed-threshold rule like Flagger's: every interval the
// canary's error rate over that interval is checked against a limit; a
// check above it, or without any request ("no values found"), is a failed
// check, and threshold failed checks roll back. A passed check advances
// the weight.
type flaggerRule struct {
	limit     float64
	threshold int
}

func (f flaggerRule) String() string {
	return fmt.Sprintf("Flagger-like (>%s fails, %d failed checks)", pct(f.limit), f.threshold)
}

func (f flaggerRule) run(tr traffic, weights []float64) simOutcome {
	var total float64
	failed, now := 0, time.Duration(0)
	for i := 0; i < len(weights); {
		now += simFlaggerTick
		c := tr.draw(weights[i], simFlaggerTick)
		total += c.CanaryRequests
		if c.CanaryRequests > 0 && c.CanaryErrors/c.CanaryRequests <= f.limit {
			i++
			continue
		}
		if failed++; failed >= f.threshold {
			return simOutcome{rolledBack: true, before50: i < len(weights)-1, requests: total, duration: now}
		}
	}
	return simOutcome{requests: total, duration: now}
}

// simRow summarises the runs of one rule on one kind of canary.
type simRow struct {
	rule, canary           string
	rolledBack, before50   float64
	medianRequests, fixedN float64
	medianMinutes          float64
}

func summarise(rule, canary string, fixedN int, outs []simOutcome) simRow {
	row := simRow{rule: rule, canary: canary, fixedN: float64(fixedN)}
	var reqs, mins []float64
	for _, o := range outs {
		if o.rolledBack {
			row.rolledBack++
		}
		if o.before50 {
			row.before50++
		}
		reqs = append(reqs, o.requests)
		mins = append(mins, o.duration.Minutes())
	}
	row.rolledBack /= float64(len(outs))
	row.before50 /= float64(len(outs))
	row.medianRequests, row.medianMinutes = median(reqs), median(mins)
	return row
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func simTable(rows []simRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%-42s %-8s %12s %11s %16s %14s %9s\n", "rule", "canary", "rolled back", "before 50%", "median requests", "fixed-sample n", "median min")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-42s %-8s %11.1f%% %10.1f%% %16.0f %14.0f %9.1f\n",
			r.rule, r.canary, 100*r.rolledBack, 100*r.before50, r.medianRequests, r.fixedN, r.medianMinutes)
	}
	return b.String()
}

func TestSimulationMeetsTheTargetsOfTheIssue(t *testing.T) {
	specs, probs := Parse(map[string]string{GatePrefix + KeyErrorRate: "relative"})
	if len(probs) > 0 || len(specs) != 1 {
		t.Fatalf("Parse: %v %v", specs, probs)
	}
	s, cfg := specs[0], simConfig(t)
	d := s.Test
	rule := fmt.Sprintf("meshcanary (relative, %s conf., %sx @ %s)", pct(1-d.Alpha), fmtNum(d.Detect), pct(1-d.Beta))
	t.Logf("meshcanary: check every %v, %d failed checks roll back, max hold %v", cfg.CheckInterval, cfg.MaxFailedChecks, cfg.MaxHold)
	weights := []float64{5, 25, 50}
	flaggers := []flaggerRule{{limit: 0.01, threshold: 5}, {limit: 0.02, threshold: 1}}
	cases := []struct {
		name  string
		ratio float64
		alt   float64 // the ratio the fixed-sample test must detect
	}{{"healthy", 1, d.Detect}, {"3x", 3, 3}, {"10x", 10, 10}}

	var rows []simRow
	mesh := map[string]simRow{}
	for ci, c := range cases {
		fixedN := seqtest.FixedSampleSize(simBaseErrors, d.Tolerance, c.alt, d.Alpha, 1-d.Beta)
		tr := traffic{rng: rand.New(rand.NewPCG(4, uint64(ci))), ratio: c.ratio}
		outs := make([]simOutcome, simRuns)
		for i := range outs {
			outs[i] = simMeshcanary(tr, s, cfg)
		}
		mesh[c.name] = summarise(rule, c.name, fixedN, outs)
		rows = append(rows, mesh[c.name])
		for _, f := range flaggers {
			for i := range outs {
				outs[i] = f.run(tr, weights)
			}
			rows = append(rows, summarise(f.String(), c.name, fixedN, outs))
		}
	}
	slices.SortStableFunc(rows, func(a, b simRow) int { return strings.Compare(a.rule, b.rule) })
	t.Log(simTable(rows))

	if got := mesh["healthy"].rolledBack; got > d.Alpha {
		t.Errorf("false rollbacks of healthy canaries %.2f%%, want at most %s", 100*got, pct(d.Alpha))
	}
	if got := mesh["10x"].before50; got < 0.99 {
		t.Errorf("10x regressions caught before 50%% in %.2f%% of runs, want at least 99%%", 100*got)
	}
	if got := mesh["3x"].rolledBack; got < 0.90 {
		t.Errorf("3x regressions caught before promotion in %.2f%% of runs, want at least 90%%", 100*got)
	}
	for name, r := range mesh {
		if r.medianRequests > 2*r.fixedN {
			t.Errorf("%s: median %v requests to decide, more than twice the fixed-sample %v", name, r.medianRequests, r.fixedN)
		}
	}
}
