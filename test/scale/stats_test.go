//go:build scale

package scale

import (
	"math"
	"slices"
	"time"
)

// infinity is the upper bound of a histogram's +Inf bucket.
var infinity = math.Inf(1)

// percentile returns the p-th percentile (0 < p ≤ 1) of values by the
// nearest-rank method, and false when there are none.
func percentile(values []float64, p float64) (float64, bool) {
	if len(values) == 0 {
		return 0, false
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)], true
}

// seconds turns durations into seconds.
func seconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// histogramQuantile estimates the q-quantile of the observations a
// histogram received between two readings of its cumulative buckets (by
// upper bound), interpolating linearly inside a bucket as Prometheus'
// histogram_quantile does. It returns the count of observations too; a
// quantile in the +Inf bucket is the largest finite bound.
func histogramQuantile(q float64, before, after map[float64]float64) (value float64, count float64) {
	bounds := make([]float64, 0, len(after))
	for b := range after {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	cum := make([]float64, len(bounds))
	for i, b := range bounds {
		cum[i] = after[b] - before[b]
	}
	if len(bounds) == 0 || cum[len(cum)-1] == 0 {
		return 0, 0
	}
	total := cum[len(cum)-1]
	rank := q * total
	for i, b := range bounds {
		if cum[i] < rank {
			continue
		}
		if math.IsInf(b, 1) {
			return bounds[max(i-1, 0)], total
		}
		lower, below := 0.0, 0.0
		if i > 0 {
			lower, below = bounds[i-1], cum[i-1]
		}
		if cum[i] == below {
			return b, total
		}
		return lower + (b-lower)*(rank-below)/(cum[i]-below), total
	}
	return bounds[len(bounds)-1], total
}
