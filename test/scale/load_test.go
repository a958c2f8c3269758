//go:build scale

package scale

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// loadSample is the machine's 1-minute load average at a time.
type loadSample struct {
	at   time.Time
	load float64
}

// loadSampler reads /proc/loadavg every 5 s, so a run can say how busy the
// machine it shares was while each phase ran.
type loadSampler struct {
	mu      sync.Mutex
	samples []loadSample
}

// sampleLoad samples until ctx is done.
func sampleLoad(ctx context.Context) *loadSampler {
	s := &loadSampler{}
	go func() {
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			if data, err := os.ReadFile("/proc/loadavg"); err == nil {
				if load, err := parseLoadavg(string(data)); err == nil {
					s.mu.Lock()
					s.samples = append(s.samples, loadSample{time.Now(), load})
					s.mu.Unlock()
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// mean is the mean load sampled in [from, to], NaN without a sample.
func (s *loadSampler) mean(from, to time.Time) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return meanLoad(s.samples, from, to)
}

// meanLoad is the mean load of the samples in [from, to], NaN without one.
func meanLoad(samples []loadSample, from, to time.Time) float64 {
	sum, n := 0.0, 0
	for _, s := range samples {
		if !s.at.Before(from) && !s.at.After(to) {
			sum += s.load
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// parseLoadavg returns the 1-minute load average of /proc/loadavg's text.
func parseLoadavg(text string) (float64, error) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return 0, fmt.Errorf("empty /proc/loadavg")
	}
	load, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/loadavg %q: %w", text, err)
	}
	return load, nil
}

func TestLoad(t *testing.T) {
	load, err := parseLoadavg("13.09 12.78 9.50 5/812 24593\n")
	if err != nil || load != 13.09 {
		t.Errorf("parseLoadavg = %v, %v; want 13.09", load, err)
	}
	if _, err := parseLoadavg(""); err == nil {
		t.Error("parseLoadavg of nothing gave no error")
	}
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	samples := []loadSample{{t0, 2}, {t0.Add(5 * time.Second), 4}, {t0.Add(10 * time.Second), 9}}
	if got := meanLoad(samples, t0, t0.Add(5*time.Second)); got != 3 {
		t.Errorf("meanLoad of the first two samples = %v, want 3", got)
	}
	if got := meanLoad(samples, t0.Add(time.Minute), t0.Add(2*time.Minute)); !math.IsNaN(got) {
		t.Errorf("meanLoad without a sample = %v, want NaN", got)
	}
}
