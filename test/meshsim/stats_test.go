package meshsim

import "math"

// withinBinomial reports whether got successes of n draws at probability p
// are within five standard deviations of the mean n·p.
func withinBinomial(got, n int, p float64) bool {
	sigma := math.Sqrt(float64(n) * p * (1 - p))
	return math.Abs(float64(got)-float64(n)*p) <= 5*sigma
}
