package seqtest

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

var rate = Rate{Limit: 0.05, Detect: 0.1, Alpha: 0.01, Beta: 0.1}

func TestRateValidateRejectsUntestableDesigns(t *testing.T) {
	for name, c := range map[string]struct {
		d    Rate
		want string
	}{
		"a negative limit":        {Rate{-0.1, 0.1, 0.01, 0.1}, "limit"},
		"detect at the limit":     {Rate{0.05, 0.05, 0.01, 0.1}, "detect"},
		"detect of one":           {Rate{0.05, 1, 0.01, 0.1}, "detect"},
		"alpha of zero":           {Rate{0.05, 0.1, 0, 0.1}, "alpha"},
		"beta of one half":        {Rate{0.05, 0.1, 0.01, 0.5}, "beta"},
		"a NaN limit":             {Rate{math.NaN(), 0.1, 0.01, 0.1}, "limit"},
		"a limit of one is not a": {Rate{1, 1, 0.01, 0.1}, "limit"},
	} {
		t.Run(name, func(t *testing.T) {
			if err := c.d.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v, want an error about %s", err, c.want)
			}
		})
	}
	if err := rate.Validate(); err != nil {
		t.Errorf("a valid design is rejected: %v", err)
	}
}

func TestRateEvidenceCountsEveryRequest(t *testing.T) {
	up, down := math.Log(2), math.Log(0.9/0.95)
	for name, c := range map[string]struct {
		d                Rate
		requests, events float64
		want             float64
	}{
		"no requests are no evidence":             {rate, 0, 0, 0},
		"a clean request is evidence of health":   {rate, 1, 0, down},
		"an error is evidence of a regression":    {rate, 1, 1, up},
		"totals, in any order":                    {rate, 100, 3, 3*up + 97*down},
		"more errors than requests are capped":    {rate, 2, 5, 2 * up},
		"with a limit of 0 one error is decisive": {Rate{0, 0.01, 0.01, 0.1}, 1000, 1, math.Inf(1)},
		"with a limit of 0 clean requests count":  {Rate{0, 0.01, 0.01, 0.1}, 100, 0, 100 * math.Log(0.99)},
	} {
		t.Run(name, func(t *testing.T) {
			if got := c.d.LogLR(c.requests, c.events); math.Abs(got-c.want) > 1e-9 && got != c.want {
				t.Errorf("LogLR(%v, %v) = %v, want %v", c.requests, c.events, got, c.want)
			}
		})
	}
}

func TestRateDecideAndRequestsToDecide(t *testing.T) {
	for name, c := range map[string]struct {
		requests, events float64
		want             Decision
		toward           Decision
	}{
		"a clean canary passes after enough requests": {60, 0, Pass, Pass},
		"a clean canary is undecided before":          {40, 0, Undecided, Pass},
		"a bad canary fails":                          {100, 20, Fail, Fail},
		"a canary at the limit drifts to Pass":        {100, 5, Undecided, Pass},
	} {
		t.Run(name, func(t *testing.T) {
			if got := rate.Decide(c.requests, c.events); got != c.want {
				t.Errorf("Decide = %v, want %v", got, c.want)
			}
			more, toward, ok := rate.RequestsToDecide(c.requests, c.events)
			if !ok || toward != c.toward {
				t.Fatalf("RequestsToDecide = %v, %v, %v; want toward %v", more, toward, ok, c.toward)
			}
			// At the observed rate, that many more requests reach the bound.
			r := c.events / c.requests
			n, k := c.requests+more, c.events+r*more
			if d := rate.Decide(n+1, k+r); c.want == Undecided && d != toward {
				t.Errorf("after %v more requests the test is %v, want %v", more, d, toward)
			}
		})
	}
}

// TestRateStaysValidUnderRepeatedLooks checks Ville's bound by simulation:
// canaries at the limit, looked at after every batch of a long release,
// fail at most Alpha of the time; canaries at Detect pass at most Beta of
// the time; a canary below the limit fails even less.
func TestRateStaysValidUnderRepeatedLooks(t *testing.T) {
	const runs, looks, batch = 4000, 200, 20
	for name, c := range map[string]struct {
		p     float64
		bad   Decision
		bound float64
	}{
		"at the limit it fails at most alpha":   {rate.Limit, Fail, rate.Alpha},
		"below the limit it fails at most that": {rate.Limit / 2, Fail, rate.Alpha},
		"at detect it passes at most beta":      {rate.Detect, Pass, rate.Beta},
	} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(c.p*1e6)))
			bad := 0
			for range runs {
				var n, k float64
				for range looks {
					for range batch {
						if rng.Float64() < c.p {
							k++
						}
					}
					n += batch
					if d := rate.Decide(n, k); d != Undecided {
						if d == c.bad {
							bad++
						}
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
