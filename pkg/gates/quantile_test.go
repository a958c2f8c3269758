package gates

import (
	"math"
	"testing"
)

func TestQuantileInterpolatesLikeHistogramQuantile(t *testing.T) {
	inf := math.Inf(1)
	for name, c := range map[string]struct {
		h    histogram
		q    float64
		want float64
	}{
		"the median inside the first bucket starts at 0": {hist(10, 50, 20, 100, inf, 100), 0.25, 5},
		"the median at a bucket boundary":                {hist(10, 50, 20, 100, inf, 100), 0.5, 10},
		"interpolated in the second bucket":              {hist(10, 50, 20, 100, inf, 100), 0.75, 15},
		"a rank in +Inf is the highest finite bound":     {hist(10, 50, 20, 90, inf, 100), 0.99, 20},
		"non-monotonic counts are made monotonic":        {hist(10, 20, 20, 10, 30, 100, inf, 100), 0.5, 23.75},
		"a lowest bound at or below zero is returned":    {hist(0, 60, 10, 100, inf, 100), 0.5, 0},
		"no observations give NaN":                       {hist(10, 0, inf, 0), 0.5, math.NaN()},
		"no +Inf bucket gives NaN":                       {hist(10, 5, 20, 10), 0.5, math.NaN()},
		"a single bucket gives NaN":                      {hist(inf, 10), 0.5, math.NaN()},
	} {
		t.Run(name, func(t *testing.T) {
			got := c.h.quantile(c.q)
			if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) {
				t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
			}
		})
	}
}
