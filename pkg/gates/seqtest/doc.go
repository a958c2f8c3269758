// Package seqtest is the statistics behind meshcanary's relative error-rate
// gate: a sequential probability ratio test (Wald's SPRT) on the ratio of the
// canary's error rate to the primary's, which stays valid however often it is
// looked at.
//
// # Model
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
