package seqtest

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

var design = Design{Tolerance: 1, Detect: 3, Alpha: 0.01, Beta: 0.1}

func TestValidateRejectsUntestableDesigns(t *testing.T) {
	for name, c := range map[string]struct {
		d    Design
		want string
	}{
		"a zero tolerance":        {Design{0, 3, 0.01, 0.1}, "tolerance"},
		"detect at the tolerance": {Design{2, 2, 0.01, 0.1}, "detect"},
		"an infinite detect":      {Design{1, math.Inf(1), 0.01, 0.1}, "detect"},
		"alpha of one half":       {Design{1, 3, 0.5, 0.1}, "alpha"},
		"beta of zero":            {Design{1, 3, 0.01, 0}, "beta"},
		"a NaN tolerance":         {Design{math.NaN(), 3, 0.01, 0.1}, "tolerance"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := c.d.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v, want an error about %s", err, c.want)
			}
		})
	}
	if err := design.Validate(); err != nil {
		t.Errorf("the default design is invalid: %v", err)
	}
}

func TestAddScoresEachErrorByTheTrafficShare(t *testing.T) {
	// Equal traffic: θ(1) = 1/2, θ(3) = 3/4. A canary error scores
	// log(1.5), a primary error log(0.5).
	for name, c := range map[string]struct {
		batch Counts
		want  float64
	}{
		"one canary error":                     {Counts{100, 1, 100, 0}, math.Log(1.5)},
		"one primary error":                    {Counts{100, 0, 100, 1}, math.Log(0.5)},
		"two of each":                          {Counts{100, 2, 100, 2}, 2*math.Log(1.5) + 2*math.Log(0.5)},
		"no errors carry no evidence":          {Counts{100, 0, 100, 0}, 0},
		"no primary traffic carries none":      {Counts{100, 5, 0, 0}, 0},
		"no canary traffic carries none":       {Counts{0, 0, 100, 5}, 0},
		"more errors than requests are capped": {Counts{1, 5, 1, 0}, math.Log(1.5)},
		"negative errors count as none":        {Counts{100, -1, 100, 0}, 0},
	} {
		t.Run(name, func(t *testing.T) {
			got := design.Add(Evidence{}, c.batch).LogLR
			if math.Abs(got-c.want) > 1e-12 {
				t.Errorf("LogLR = %v, want %v", got, c.want)
			}
		})
	}
}

func TestDecideComparesTheEvidenceWithTheBounds(t *testing.T) {
	for name, c := range map[string]struct {
		logLR float64
		want  Decision
	}{
		"at the fail bound":         {math.Log(100), Fail},
		"just below the fail bound": {math.Log(99), Undecided},
		"at the pass bound":         {math.Log(0.1), Pass},
		"just above the pass bound": {math.Log(0.11), Undecided},
		"no evidence":               {0, Undecided},
	} {
		t.Run(name, func(t *testing.T) {
			if got := design.Decide(Evidence{LogLR: c.logLR}); got != c.want {
				t.Errorf("Decide(%v) = %v, want %v", c.logLR, got, c.want)
			}
		})
	}
}

// TestTheTestStaysValidUnderRepeatedLooks checks Ville's bound by
// simulation: canaries exactly at the tolerance, looked at after every
// batch of a long release, fail at most Alpha of the time, and canaries at
// Detect pass at most Beta of the time.
func TestTheTestStaysValidUnderRepeatedLooks(t *testing.T) {
	const runs, looks = 4000, 200
	for name, c := range map[string]struct {
		ratio float64
		bad   Decision
		bound float64
	}{
		"a canary at the tolerance fails at most alpha": {design.Tolerance, Fail, design.Alpha},
		"a canary at detect passes at most beta":        {design.Detect, Pass, design.Beta},
	} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(c.ratio)))
			bad := 0
			for range runs {
				var ev Evidence
				for range looks {
					b := Counts{CanaryRequests: 50, PrimaryRequests: 150}
					b.CanaryErrors = poisson(rng, 50*0.01*c.ratio)
					b.PrimaryErrors = poisson(rng, 150*0.01)
					if ev = design.Add(ev, b); design.Decide(ev) == c.bad {
						bad++
						break
					}
				}
			}
			if got := float64(bad) / runs; got > c.bound {
				t.Errorf("wrong decision in %.2f%% of runs, above the bound %.2f%%", 100*got, 100*c.bound)
			}
		})
	}
}

// poisson draws a Poisson variate of a small mean (Knuth's method): the
// model of the test.
func poisson(r *rand.Rand, mean float64) float64 {
	limit, k, p := math.Exp(-mean), 0.0, r.Float64()
	for p > limit {
		k++
		p *= r.Float64()
	}
	return k
}

func TestFixedSampleSizeIsTheSmallestSufficientSample(t *testing.T) {
	for name, c := range map[string]struct{ ratio, power float64 }{
		"3x at 90% power":  {3, 0.9},
		"10x at 90% power": {10, 0.9},
		"2x at 99% power":  {2, 0.99},
	} {
		t.Run(name, func(t *testing.T) {
			n := FixedSampleSize(0.01, 1, c.ratio, 0.01, c.power)
			if n == 0 {
				t.Fatal("no sample size")
			}
			ok := func(n int) bool {
				k := criticalCount(n, 0.01, 0.01)
				return k <= n && upperTail(n, k, 0.01*c.ratio) >= c.power
			}
			if !ok(n) {
				t.Errorf("n = %d does not reach the power", n)
			}
			for m := 1; m < n; m++ {
				if ok(m) {
					t.Fatalf("n = %d is not the smallest: %d suffices", n, m)
				}
			}
		})
	}
	if n := FixedSampleSize(0.01, 2, 1, 0.01, 0.9); n != 0 {
		t.Errorf("a ratio below the tolerance has sample size %d, want 0", n)
	}
}
