package meshsim

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseBehaviourReadsAnnotations(t *testing.T) {
	with := func(change func(*Behaviour)) Behaviour {
		b := DefaultBehaviour
		change(&b)
		return b
	}
	tests := map[string]struct {
		annotations map[string]string
		want        Behaviour
		wantErr     bool
	}{
		"no annotations give the defaults": {want: DefaultBehaviour},
		"every annotation is read": {
			annotations: map[string]string{
				ErrorRateAnnotation: "0.05", ErrorCodeAnnotation: "503", LatencyAnnotation: "20",
				LatencySpreadAnnotation: "0.8", CPUAnnotation: "0.002", MemoryAnnotation: "50000000",
			},
			want: Behaviour{ErrorRate: 0.05, ErrorCode: 503, Latency: 20 * time.Millisecond, Sigma: 0.8,
				CPUPerRequest: 0.002, MemoryBytes: 5e7},
		},
		"an exponential spread replaces the log-normal one": {
			annotations: map[string]string{LatencySpreadAnnotation: "exponential"},
			want:        with(func(b *Behaviour) { b.Exponential, b.Sigma = true, 0 }),
		},
		"a spread of 0 is a fixed latency": {
			annotations: map[string]string{LatencySpreadAnnotation: "0"},
			want:        with(func(b *Behaviour) { b.Sigma = 0 }),
		},
		"a fractional latency keeps its fraction": {
			annotations: map[string]string{LatencyAnnotation: "0.5"},
			want:        with(func(b *Behaviour) { b.Latency = 500 * time.Microsecond }),
		},
		"an error rate above 1 is rejected and the default kept": {
			annotations: map[string]string{ErrorRateAnnotation: "5", LatencyAnnotation: "7"},
			want:        with(func(b *Behaviour) { b.Latency = 7 * time.Millisecond }),
			wantErr:     true,
		},
		"a non-number is rejected": {
			annotations: map[string]string{CPUAnnotation: "lots"},
			want:        DefaultBehaviour,
			wantErr:     true,
		},
		"an error code outside 5xx is rejected": {
			annotations: map[string]string{ErrorCodeAnnotation: "200"},
			want:        DefaultBehaviour,
			wantErr:     true,
		},
		"an unknown spread is rejected": {
			annotations: map[string]string{LatencySpreadAnnotation: "pareto"},
			want:        DefaultBehaviour,
			wantErr:     true,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseBehaviour(tc.annotations)
			if (err != nil) != tc.wantErr {
				t.Errorf("error %v, want error %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("behaviour (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnswerFailsAtTheErrorRate(t *testing.T) {
	for _, rate := range []float64{0, 0.001, 0.05, 0.5, 1} {
		b := Behaviour{ErrorRate: rate, ErrorCode: 503}
		rnd := seeded(5)
		const n = 100_000
		failed := 0
		for range n {
			switch code := b.Answer(rnd).Code; code {
			case 503:
				failed++
			case 200:
			default:
				t.Fatalf("code %d, want 200 or 503", code)
			}
		}
		if !withinBinomial(failed, n, rate) {
			t.Errorf("error rate %g: %d of %d failed", rate, failed, n)
		}
	}
}

func TestAnswerLatencyFollowsTheSpread(t *testing.T) {
	const n = 50_000
	tests := map[string]struct {
		behaviour  Behaviour
		wantMedian float64 // ms
		wantMean   float64 // ms
	}{
		"log-normal has the annotated median and mean exp(σ²/2) times it": {
			behaviour: Behaviour{Latency: 20 * time.Millisecond, Sigma: 0.5}, wantMedian: 20, wantMean: 20 * math.Exp(0.125),
		},
		"exponential has the annotated mean and median ln 2 times it": {
			behaviour: Behaviour{Latency: 20 * time.Millisecond, Exponential: true}, wantMedian: 20 * math.Ln2, wantMean: 20,
		},
		"a spread of 0 is always the annotated latency": {
			behaviour: Behaviour{Latency: 20 * time.Millisecond}, wantMedian: 20, wantMean: 20,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rnd := seeded(6)
			ms := make([]float64, n)
			sum := 0.0
			for i := range ms {
				ms[i] = float64(tc.behaviour.Answer(rnd).Latency) / float64(time.Millisecond)
				sum += ms[i]
			}
			slices.Sort(ms)
			// 3 % is over ten standard errors of the mean and median here.
			if median := ms[n/2]; math.Abs(median-tc.wantMedian) > 0.03*tc.wantMedian {
				t.Errorf("median %.2f ms, want %.2f", median, tc.wantMedian)
			}
			if mean := sum / n; math.Abs(mean-tc.wantMean) > 0.03*tc.wantMean {
				t.Errorf("mean %.2f ms, want %.2f", mean, tc.wantMean)
			}
		})
	}
}
