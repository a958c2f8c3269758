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
	bs := h.buckets()
	if len(bs) < 2 || !math.IsInf(bs[len(bs)-1].upper, 1) {
		return math.NaN()
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

// buckets returns the histogram's buckets sorted by upper bound, the counts
// made non-decreasing (a scrape may see a lower bucket before a higher one).
func (h histogram) buckets() []bucket {
	var bs []bucket
	for le, c := range h {
		u, err := strconv.ParseFloat(le, 64)
		if err == nil {
			bs = append(bs, bucket{u, c})
		}
	}
	slices.SortFunc(bs, func(a, b bucket) int { return cmpFloat(a.upper, b.upper) })
	for i := 1; i < len(bs); i++ {
		bs[i].count = math.Max(bs[i].count, bs[i-1].count)
	}
	return bs
}

// boundaryAtOrBelow returns the largest finite bucket boundary at or below
// limit (a boundary within a millionth of the limit counts as the limit);
// ok is false when there is none.
func (h histogram) boundaryAtOrBelow(limit float64) (b float64, ok bool) {
	for _, x := range h.buckets() {
		if !math.IsInf(x.upper, 1) && x.upper <= limit*(1+1e-6) {
			b, ok = x.upper, true
		}
	}
	return b, ok
}

// boundaryAtOrAbove returns the smallest finite bucket boundary at or
// above x; ok is false when there is none.
func (h histogram) boundaryAtOrAbove(x float64) (b float64, ok bool) {
	for _, bk := range h.buckets() {
		if !math.IsInf(bk.upper, 1) && bk.upper >= x*(1-1e-6) {
			return bk.upper, true
		}
	}
	return 0, false
}

// above is the number of observations above the bucket boundary b.
func (h histogram) above(b float64) float64 {
	var at, total float64
	for _, x := range h.buckets() {
		if x.upper <= b {
			at = x.count
		}
		total = x.count
	}
	return math.Max(0, total-at)
}
