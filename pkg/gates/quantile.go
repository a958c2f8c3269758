package gates

import (
	"math"
	"slices"
	"strconv"
)

// histogram is a cumulative bucket histogram: for each bucket's upper
// bound (the le label, "+Inf" for the last) the number of observations at
// or below it.
type histogram counters

// count is the number of observations: the +Inf bucket.
func (h histogram) count() float64 { return h["+Inf"] }

type bucket struct{ upper, count float64 }

// quantile estimates the q-quantile exactly as PromQL's
// histogram_quantile does for classic histograms: linear interpolation
// within the bucket that holds the rank, the lowest bucket starting at 0,
// and the upper bound of the highest finite bucket when the rank falls in
// the +Inf bucket. NaN when there is no +Inf bucket or no observation.
func (h histogram) quantile(q float64) float64 {
	var bs []bucket
	for le, c := range h {
		u, err := strconv.ParseFloat(le, 64)
		if err == nil {
			bs = append(bs, bucket{u, c})
		}
	}
	slices.SortFunc(bs, func(a, b bucket) int { return cmpFloat(a.upper, b.upper) })
	if len(bs) < 2 || !math.IsInf(bs[len(bs)-1].upper, 1) {
		return math.NaN()
	}
	for i := 1; i < len(bs); i++ { // counts must not decrease with le
		bs[i].count = math.Max(bs[i].count, bs[i-1].count)
	}
	total := bs[len(bs)-1].count
	if total == 0 {
		return math.NaN()
	}
	rank := q * total
	b, _ := slices.BinarySearchFunc(bs, rank, func(x bucket, r float64) int { return cmpFloat(x.count, r) })
	switch {
	case b == len(bs)-1:
		return bs[len(bs)-2].upper
	case b == 0 && bs[0].upper <= 0:
		return bs[0].upper
	}
	start, c := 0.0, bs[b].count
	if b > 0 {
		start = bs[b-1].upper
		c -= bs[b-1].count
		rank -= bs[b-1].count
	}
	return start + (bs[b].upper-start)*(rank/c)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
