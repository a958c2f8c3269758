package meshsim

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestArrivalsArePoisson(t *testing.T) {
	const rate, seconds = 200.0, 500
	rnd := seeded(7)
	start := time.Unix(1000, 0)
	a := newArrivals(rate, start, rnd)
	perSecond := make([]float64, seconds)
	total := 0
	// Step a virtual clock in 10 ms ticks, as the simulator does.
	for tick := 1; tick <= seconds*100; tick++ {
		n := a.due(start.Add(time.Duration(tick)*10*time.Millisecond), rnd)
		perSecond[(tick-1)/100] += float64(n)
		total += n
	}
	// The count over the whole run: mean and variance rate·seconds.
	if want := rate * seconds; math.Abs(float64(total)-want) > 5*math.Sqrt(want) {
		t.Errorf("%d arrivals in %d s, want about %g", total, seconds, want)
	}
	// Counts per second of a Poisson process have variance equal to the mean
	// (index of dispersion 1); a fixed-interval generator would have 0.
	mean, sq := 0.0, 0.0
	for _, c := range perSecond {
		mean += c / seconds
	}
	for _, c := range perSecond {
		sq += (c - mean) * (c - mean) / (seconds - 1)
	}
	if d := sq / mean; d < 0.8 || d > 1.2 {
		t.Errorf("index of dispersion %.3f, want about 1", d)
	}
}

func TestArrivalsSkipABacklogOlderThanASecond(t *testing.T) {
	rnd := seeded(8)
	start := time.Unix(1000, 0)
	a := newArrivals(1000, start, rnd)
	n := a.due(start.Add(time.Hour), rnd)
	// Only the last second's arrivals are sent: about 1000, σ ≈ 32.
	if n < 840 || n > 1160 {
		t.Errorf("%d arrivals after an hour's stall, want about 1000", n)
	}
}

func TestParseTarget(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    Target
		wantErr bool
	}{
		"namespace, service and rate": {in: "shop/podinfo=50", want: Target{Service: podinfo, Rate: 50}},
		"a fractional rate":           {in: "shop/podinfo=0.5", want: Target{Service: podinfo, Rate: 0.5}},
		"a missing namespace":         {in: "podinfo=50", wantErr: true},
		"a missing rate":              {in: "shop/podinfo", wantErr: true},
		"a zero rate":                 {in: "shop/podinfo=0", wantErr: true},
		"a rate that is not a number": {in: "shop/podinfo=fast", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseTarget(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("target (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTargetDrawsShapesByWeight(t *testing.T) {
	target := Target{Service: podinfo, Shapes: []Shape{
		{Weight: 9, Path: "/"},
		{Weight: 1, Path: "/beta", Headers: map[string]string{"x-user": "tester"}},
	}}
	rnd := seeded(9)
	const n = 20_000
	beta := 0
	for range n {
		req := target.request(rnd)
		if req.Path == "/beta" {
			beta++
			if req.Headers["x-user"] != "tester" {
				t.Fatalf("shape /beta lost its header: %v", req.Headers)
			}
		}
	}
	if !withinBinomial(beta, n, 0.1) {
		t.Errorf("%d of %d requests had the 1-in-10 shape", beta, n)
	}
}
