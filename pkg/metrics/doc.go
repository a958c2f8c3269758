// Package metrics defines the Prometheus metrics of the meshcanary
// controller: per-canary gauges (weight, phase, step, failed checks),
// release counters and histograms (result, duration, step lag) and the
// client-go workqueue metrics.
//
// Every metric is registered on a caller-supplied registry, so tests use
// their own and the controller serves it at /metrics.
package metrics
