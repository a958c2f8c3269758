// Package seqtest is the statistics behind meshcanary's gates: sequential
// probability ratio tests (Wald's SPRT), which stay valid however often they
// are looked at. [Rate] is the one-sample test of the error-rate limit and
// of the latency limits (on the share of requests slower than a bound) and
// the absolute floor of the relative error-rate gate; [Design] is the test
// of the ratio of the canary's error rate to the primary's.
//
// # The one-sample test
//
// Each request is an event (an error, a slow request) with probability p.
// The evidence is the log-likelihood ratio of p = Detect against p = Limit
// over the requests so far. It is a supermartingale whenever p ≤ Limit, so
// by Ville's inequality it ever reaches log(1/Alpha) with probability at
// most Alpha; symmetrically it falls to log(Beta) with probability at most
// Beta when p ≥ Detect. It depends only on the totals, so it needs no state.
//
// # The ratio test
//
// Errors of each workload arrive as a Poisson process whose rate is the
// workload's request count times its error rate. Given how many errors the
// two workloads produced together in a batch (the requests between two
// evaluations), each error is the canary's with probability
//
//	θ(ρ) = ρ·nc / (ρ·nc + np)
//
// where nc and np are the batch's canary and primary requests and ρ is the
// ratio canary error rate / primary error rate. The primary's own error rate
// cancels out, so the test needs no estimate of it, and the traffic split
// may change from batch to batch (from step to step).
//
// # Decision
//
// The evidence is the log-likelihood ratio of ρ = Detect against
// ρ = Tolerance summed over batches. It is a supermartingale whenever the
// true ratio is at most Tolerance, so by Ville's inequality it crosses
// log(1/Alpha) with probability at most Alpha, at any of arbitrarily many
// looks: that crossing is [Fail]. Symmetrically it falls below log(Beta)
// with probability at most Beta when the true ratio is at least Detect:
// that crossing is [Pass]. In between the test is [Undecided].
package seqtest
