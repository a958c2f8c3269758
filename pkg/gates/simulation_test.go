package gates

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/internal/golden"
	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// The simulation of issue 9: every built-in gate, at primary error rates
// of 0, 0.1 %, 1 % and 5 % and total traffic of 2, 20 and 200 requests/s,
// against healthy canaries and four regressions, with steps of 5, 25 and
// 50 % of one minute, a check every 30 s, 2 failed checks to roll back and
// a maximum hold of 10 minutes: the defaults of pkg/config. Each cell runs
// simRuns releases of meshcanary's gates (the judge functions the
// evaluator uses) and of a fixed-threshold rule like Flagger's on the same
// traffic model.
const simRuns = 2000

var (
	simBases   = []float64{0, 0.001, 0.01, 0.05}
	simRates   = []float64{2, 20, 200}
	simCanarys = []string{"healthy", "3x", "10x", "+2pp", "latency 2x"}
)

// The latency model: durations are log-normal with a median of 100 ms and
// σ = 0.625, so 0.5 % of requests take longer than 500 ms (p99 ≈ 430 ms);
// a canary 2x slower has a median of 200 ms and 7.1 % above 500 ms.
const (
	simSlowShare      = 0.005
	simSlowShareTwice = 0.0712
)

// simGate is one gate configuration of the grid.
type simGate struct {
	name        string
	annotations map[string]string
	latency     bool    // events are slow requests, not errors
	flagger     float64 // the Flagger-like rule's limit on the event rate
}

var simGates = []simGate{
	{name: "max=5%", annotations: map[string]string{GatePrefix + KeyErrorRate: "max=5%"}, flagger: 0.05},
	{name: "relative", annotations: map[string]string{GatePrefix + KeyErrorRate: "relative"}, flagger: 0.01},
	{name: "max=5%, relative, min-requests 20", annotations: map[string]string{
		GatePrefix + KeyErrorRate: "max=5%, relative", GatePrefix + KeyMinRequests: "20"}, flagger: 0.05},
	{name: "p99<500ms", annotations: map[string]string{GatePrefix + KeyLatency: "p99<500ms"}, latency: true, flagger: 0.01},
}

// simCell is one cell of the grid and its outcome.
type simCell struct {
	gate                      simGate
	base, rate                float64
	canary                    string
	primaryEvents, canaryEvts float64
	class                     regression
	fixedN, available         float64
	mesh, flagger             simSummary
}

// regression classifies a canary for a gate: acceptable (the gate fails
// it with probability at most alpha), beyond the detection point (the
// gate's power applies), or in between.
type regression int

const (
	acceptable regression = iota
	inBetween
	detectable
)

func (r regression) String() string {
	return [...]string{"acceptable", "between", "regression"}[r]
}

// simSummary is the share of releases rolled back, rolled back before the
// last step, promoted on time, and the median canary requests when the
// answer was in.
type simSummary struct {
	rolledBack, before50, onTime, medianRequests float64
}

func summarise(outs []simOutcome) simSummary {
	var s simSummary
	reqs := make([]float64, 0, len(outs))
	for _, o := range outs {
		s.rolledBack += b2f(o.rolledBack)
		s.before50 += b2f(o.before50)
		s.onTime += b2f(o.onTime)
		reqs = append(reqs, o.requests)
	}
	n := float64(len(outs))
	slices.Sort(reqs)
	s.rolledBack, s.before50, s.onTime, s.medianRequests = s.rolledBack/n, s.before50/n, s.onTime/n, reqs[len(reqs)/2]
	return s
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// simJudge builds the judge of one release for the gate's specs: it keeps
// the ratio tests' evidence across checks, as the evaluator does.
func simJudge(specs Specs) func(simState) Result {
	evidence := make([]seqtest.Evidence, len(specs))
	return func(st simState) Result {
		stg := stage{moreSteps: st.moreSteps, lastCall: st.lastCall, stepRequests: st.step.CanaryRequests}
		vs := make([]Verdict, len(specs))
		for i, s := range specs {
			switch s.Kind {
			case KindErrorRate:
				vs[i] = judgeErrorRate(s, rateSample{requests: st.total.CanaryRequests, events: st.total.CanaryErrors}, stg)
			case KindErrorRatio:
				evidence[i] = s.Test.Add(evidence[i], st.batch)
				evidence[i].Total = st.total
				vs[i] = judgeErrorRatio(s, evidence[i], stg)
			case KindLatency:
				canary := histogram{"500": st.total.CanaryRequests - st.total.CanaryErrors, "+Inf": st.total.CanaryRequests}
				primary := histogram{"500": st.total.PrimaryRequests - st.total.PrimaryErrors, "+Inf": st.total.PrimaryRequests}
				vs[i] = judgeLatency(s, canary, primary, stg)
			}
		}
		return Combine(vs)
	}
}

// classify places a canary's event rate against a gate's specs, and gives
// the fixed-sample n: the canary requests with which the most powerful
// fixed-sample test, told the primary's rate exactly, tells the canary
// from the gate's acceptable rate at the gate's confidence with 99 %
// power (0 when the canary is acceptable).
func classify(specs Specs, primary, canary float64) (regression, float64) {
	class, n := acceptable, 0.0
	for _, s := range specs {
		var limit, detect float64
		var alpha float64
		switch s.Kind {
		case KindErrorRate, KindLatency:
			limit, detect, alpha = s.Rate.Limit, s.Rate.Detect, s.Rate.Alpha
		case KindErrorRatio:
			limit = math.Max(s.Test.Tolerance*primary, s.Floor.Limit)
			detect = math.Max(s.Test.Detect*primary, s.Floor.Detect)
			alpha = s.Test.Alpha
		}
		if canary <= limit {
			continue
		}
		c := inBetween
		if canary >= detect {
			c = detectable
		}
		m := float64(seqtest.FixedSampleSize(1, limit, canary, alpha, 0.99))
		if c > class || (c == class && m < n) {
			class, n = c, m
		}
	}
	return class, n
}

func runCell(c *simCell, cfg config.Config, seed uint64) {
	specs, probs := Parse(c.gate.annotations)
	if len(probs) > 0 {
		panic(fmt.Sprint(probs))
	}
	c.class, c.fixedN = classify(specs, c.primaryEvents, c.canaryEvts)
	c.available = c.rate * cfg.StepInterval.Seconds() * float64(cfg.Steps[0]+cfg.Steps[1]) / float64(cfg.Total)
	tr := simTraffic{rng: rand.New(rand.NewPCG(seed, 9)), rate: c.rate, primary: c.primaryEvents, canary: c.canaryEvts}
	looks := 1
	if c.inReach() {
		looks = int(cfg.CheckInterval / time.Second) // a look every second
	}
	outs := make([]simOutcome, simRuns)
	for i := range outs {
		outs[i] = simRelease(tr, cfg, looks, simJudge(specs))
	}
	c.mesh = summarise(outs)
	f := flaggerRule{limit: c.gate.flagger, threshold: 5}
	weights := make([]float64, len(cfg.Steps))
	for i, w := range cfg.Steps {
		weights[i] = float64(w) * 100 / float64(cfg.Total)
	}
	for i := range outs {
		outs[i] = f.run(tr, weights)
	}
	c.flagger = summarise(outs)
}

// simGrid builds the cells: the latency gate does not depend on the error
// rate, so it runs once per traffic and canary.
func simGrid() []*simCell {
	var cells []*simCell
	for _, g := range simGates {
		bases := simBases
		if g.latency {
			bases = []float64{math.NaN()}
		}
		for _, base := range bases {
			for _, rate := range simRates {
				for _, canary := range simCanarys {
					c := &simCell{gate: g, base: base, rate: rate, canary: canary}
					c.primaryEvents, c.canaryEvts = simEventRates(g.latency, base, canary)
					cells = append(cells, c)
				}
			}
		}
	}
	return cells
}

// simEventRates are the primary's and the canary's event rates of a cell.
func simEventRates(latency bool, base float64, canary string) (primary, can float64) {
	if latency {
		if canary == "latency 2x" {
			return simSlowShare, simSlowShareTwice
		}
		return simSlowShare, simSlowShare
	}
	switch canary {
	case "3x":
		return base, 3 * base
	case "10x":
		return base, 10 * base
	case "+2pp":
		return base, base + 0.02
	}
	return base, base
}

// reach says whether a cell's regression can be caught before the 50 %
// step: the fixed-sample n fits in the canary requests of the first two
// steps.
func (c *simCell) inReach() bool {
	return c.class == detectable && c.fixedN > 0 && c.fixedN <= c.available
}

func (c *simCell) note() string {
	switch {
	case c.class == acceptable:
		return "acceptable"
	case c.class == inBetween:
		return "between limit and detect"
	case !c.inReach():
		return fmt.Sprintf("out of reach: n %s > %s", count(c.fixedN), count(c.available))
	}
	return "in reach"
}

func simTable(cells []*simCell) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| gate | primary | req/s | canary | class | rolled back | before 50%% | on time | median req | fixed n / before 50%% | Flagger-like rolled back | Flagger-like on time |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range cells {
		base := pct(c.base)
		if math.IsNaN(c.base) {
			base = "any"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.1f%% | %.1f%% | %.1f%% | %s | %s | %.1f%% | %.1f%% |\n",
			c.gate.name, base, fmtNum(c.rate), c.canary, c.note(),
			100*c.mesh.rolledBack, 100*c.mesh.before50, 100*c.mesh.onTime, count(c.mesh.medianRequests),
			count(c.fixedN)+" / "+count(c.available), 100*c.flagger.rolledBack, 100*c.flagger.onTime)
	}
	return b.String()
}

func TestSimulationMeetsTheTargetsOfTheIssue(t *testing.T) {
	cfg, probs := config.Parse("web", map[string]string{config.Prefix + config.KeySteps: "5,25,50"})
	if len(probs) > 0 || cfg.StepInterval != time.Minute || cfg.CheckInterval != 30*time.Second ||
		cfg.MaxFailedChecks != 2 || cfg.MaxHold != 10*time.Minute {
		t.Fatalf("the defaults changed: %+v, problems %v", cfg, probs)
	}
	cells := simGrid()
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range work {
				runCell(cells[i], cfg, uint64(i))
			}
		})
	}
	for i := range cells {
		work <- i
	}
	close(work)
	wg.Wait()
	table := simTable(cells)
	golden.Check(t, "simulation.md", table)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "gates-method.md"))
	if err != nil || !strings.Contains(string(doc), table) {
		t.Errorf("docs/gates-method.md must show the table of testdata/simulation.md (err %v)", err)
	}

	for _, c := range cells {
		name := fmt.Sprintf("%s, primary %s, %s req/s, %s canary", c.gate.name, pct(c.base), fmtNum(c.rate), c.canary)
		if c.class == acceptable {
			if c.mesh.rolledBack > 0.01 {
				t.Errorf("%s: %.2f%% rolled back, want at most 1%%", name, 100*c.mesh.rolledBack)
			}
			if c.rate >= 20 && c.mesh.onTime < 0.95 {
				t.Errorf("%s: %.2f%% promoted on time, want at least 95%%", name, 100*c.mesh.onTime)
			}
		}
		if (c.canary == "10x" || c.canary == "+2pp") && c.inReach() && c.mesh.before50 < 0.99 {
			t.Errorf("%s: caught before 50%% in %.2f%%, want at least 99%%", name, 100*c.mesh.before50)
		}
		if c.inReach() && c.mesh.medianRequests > 2*c.fixedN {
			t.Errorf("%s: median %s requests to decide, more than twice the fixed-sample %s", name, count(c.mesh.medianRequests), count(c.fixedN))
		}
	}
}
