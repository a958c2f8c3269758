//go:build scale

package scale

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
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

// bucketDelta lists how many observations each bucket received between two
// readings, as "≤bound:n", skipping empty ones.
func bucketDelta(before, after map[float64]float64) string {
	bounds := slices.Sorted(maps.Keys(after))
	var parts []string
	below := 0.0
	for _, b := range bounds {
		cum := after[b] - before[b]
		if n := cum - below; n != 0 {
			parts = append(parts, fmt.Sprintf("≤%g:%g", b, n))
		}
		below = cum
	}
	return strings.Join(parts, " ")
}

func TestPercentile(t *testing.T) {
	tests := map[string]struct {
		values []float64
		p      float64
		want   float64
		ok     bool
	}{
		"the median of an odd count is the middle value":  {[]float64{3, 1, 2}, 0.5, 2, true},
		"the median of an even count is the lower middle": {[]float64{4, 1, 3, 2}, 0.5, 2, true},
		"the p99 of ten values is the largest":            {[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.99, 10, true},
		"the p99 of two hundred values is the 198th":      {ramp(200), 0.99, 198, true},
		"no values give no percentile":                    {nil, 0.5, 0, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := percentile(tc.values, tc.p)
			if got != tc.want || ok != tc.ok {
				t.Errorf("percentile(%v, %v) = %v, %v; want %v, %v", tc.values, tc.p, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// ramp returns 1, 2, ..., n.
func ramp(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i + 1)
	}
	return out
}

func TestHistogramQuantile(t *testing.T) {
	tests := map[string]struct {
		before, after map[float64]float64
		q             float64
		want, count   float64
	}{
		"a quantile inside a bucket is interpolated linearly": {
			before: map[float64]float64{0.1: 0, 0.25: 0, infinity: 0},
			after:  map[float64]float64{0.1: 50, 0.25: 100, infinity: 100},
			q:      0.99, want: 0.1 + 0.15*49/50, count: 100,
		},
		"only observations after the first reading count": {
			before: map[float64]float64{0.1: 90, 0.25: 90, infinity: 90},
			after:  map[float64]float64{0.1: 90, 0.25: 100, infinity: 100},
			q:      0.5, want: 0.175, count: 10,
		},
		"a quantile in the +Inf bucket is the largest finite bound": {
			before: map[float64]float64{},
			after:  map[float64]float64{10: 1, 30: 1, infinity: 5},
			q:      0.99, want: 30, count: 5,
		},
		"no observations give zero and a zero count": {
			before: map[float64]float64{1: 4, infinity: 4},
			after:  map[float64]float64{1: 4, infinity: 4},
			q:      0.99, want: 0, count: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, count := histogramQuantile(tc.q, tc.before, tc.after)
			if math.Abs(got-tc.want) > 1e-9 || count != tc.count {
				t.Errorf("histogramQuantile = %v (%v observations), want %v (%v)", got, count, tc.want, tc.count)
			}
		})
	}
}
