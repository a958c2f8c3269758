package seqtest

import "math"

// Counts are the requests and errors of the canary and the primary, either
// in one batch or summed over a test.
type Counts struct {
	CanaryRequests  float64 `json:"canaryRequests"`
	CanaryErrors    float64 `json:"canaryErrors"`
	PrimaryRequests float64 `json:"primaryRequests"`
	PrimaryErrors   float64 `json:"primaryErrors"`
}

// Plus adds two counts.
func (c Counts) Plus(o Counts) Counts {
	return Counts{
		CanaryRequests:  c.CanaryRequests + o.CanaryRequests,
		CanaryErrors:    c.CanaryErrors + o.CanaryErrors,
		PrimaryRequests: c.PrimaryRequests + o.PrimaryRequests,
		PrimaryErrors:   c.PrimaryErrors + o.PrimaryErrors,
	}
}

// Ratio is the observed canary error rate over the primary's; +Inf when the
// primary had no errors and the canary had some, NaN without errors at all.
func (c Counts) Ratio() float64 {
	return (c.CanaryErrors / c.CanaryRequests) / (c.PrimaryErrors / c.PrimaryRequests)
}

// Evidence is the state of one test: the log-likelihood ratio of Detect
// against Tolerance and the counts it was computed from.
type Evidence struct {
	LogLR float64 `json:"logLR"`
	Total Counts  `json:"total"`
}

// Add folds one batch into the evidence. A batch where either side served
// no requests carries no information about the ratio and is only counted.
// Error counts are clamped to [0, requests] so that a scrape that saw an
// error before its request cannot produce a probability outside [0, 1].
func (d Design) Add(e Evidence, b Counts) Evidence {
	b.CanaryErrors = clamp(b.CanaryErrors, b.CanaryRequests)
	b.PrimaryErrors = clamp(b.PrimaryErrors, b.PrimaryRequests)
	e.Total = e.Total.Plus(b)
	e.LogLR += d.logLR(b)
	return e
}

// logLR is the batch's conditional log-likelihood ratio: each canary error
// is evidence for Detect, each primary error for Tolerance.
func (d Design) logLR(b Counts) float64 {
	if b.CanaryRequests <= 0 || b.PrimaryRequests <= 0 {
		return 0
	}
	tf := share(d.Tolerance, b)
	td := share(d.Detect, b)
	return b.CanaryErrors*math.Log(td/tf) + b.PrimaryErrors*math.Log((1-td)/(1-tf))
}

// share is θ(ρ): the probability that an error of the batch is the
// canary's when the canary's error rate is ρ times the primary's.
func share(rho float64, b Counts) float64 {
	c := rho * b.CanaryRequests
	return c / (c + b.PrimaryRequests)
}

func clamp(x, hi float64) float64 {
	return math.Max(0, math.Min(x, math.Max(hi, 0)))
}
