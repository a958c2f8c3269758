package seqtest

import "math"

// FixedSampleSize is the smallest number of canary requests with which a
// fixed-sample test, told the primary's error rate base exactly, rejects
// "canary rate ≤ tolerance·base" at level alpha and has at least the given
// power when the canary's rate is ratio·base. It is the one-sided exact
// binomial test, the most powerful test for this question (Neyman-Pearson),
// so no rule that estimates the primary's rate from data can need fewer
// requests for the same risks at a fixed sample size. It returns 0 when the
// question has no answer (ratio ≤ tolerance or a rate outside (0, 1)).
func FixedSampleSize(base, tolerance, ratio, alpha, power float64) int {
	p0, p1 := base*tolerance, base*ratio
	if !(p0 > 0 && p1 < 1 && p1 > p0) {
		return 0
	}
	for n := 1; n < 10_000_000; n++ {
		c := criticalCount(n, p0, alpha)
		if c <= n && upperTail(n, c, p1) >= power {
			return n
		}
	}
	return 0
}

// criticalCount is the smallest c with P(X ≥ c) ≤ alpha for X ~ Bin(n, p).
func criticalCount(n int, p, alpha float64) int {
	tail := 1.0 // P(X ≥ 0)
	for c := 0; c <= n; c++ {
		if tail <= alpha {
			return c
		}
		tail -= math.Exp(logBinom(n, c, p))
	}
	return n + 1
}

// upperTail is P(X ≥ c) for X ~ Bin(n, p).
func upperTail(n, c int, p float64) float64 {
	var s float64
	for k := c; k <= n; k++ {
		t := math.Exp(logBinom(n, k, p))
		s += t
		if k > int(float64(n)*p) && t < 1e-17 {
			break
		}
	}
	return s
}

// logBinom is log P(X = k) for X ~ Bin(n, p).
func logBinom(n, k int, p float64) float64 {
	ln, _ := math.Lgamma(float64(n + 1))
	lk, _ := math.Lgamma(float64(k + 1))
	lnk, _ := math.Lgamma(float64(n - k + 1))
	return ln - lk - lnk + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p)
}
