//go:build e2e

package e2e

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/meshcanary/meshcanary/test/meshsim"
)

// sampleEvery is how often the simulator's counts are sampled.
const sampleEvery = 100 * time.Millisecond

// countSample is the simulator's counts for the service at one moment.
type countSample struct {
	At     time.Time
	Counts meshsim.Counts
}

// countSamples is a series of the simulator's counts, in time order, from
// which the traffic of any interval is measured. It is safe for
// concurrent use.
type countSamples struct {
	mu      sync.Mutex
	samples []countSample
}

// record appends count() every sampleEvery until ctx is done.
func (s *countSamples) record(ctx context.Context, count func() meshsim.Counts) {
	tick := time.NewTicker(sampleEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			c := count()
			s.mu.Lock()
			s.samples = append(s.samples, countSample{At: now, Counts: c})
			s.mu.Unlock()
		}
	}
}

// between is the traffic between the first sample at or after from and
// the last at or before to; nothing when there is no such pair.
func (s *countSamples) between(from, to time.Time) meshsim.Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	first := sort.Search(len(s.samples), func(i int) bool { return !s.samples[i].At.Before(from) })
	last := sort.Search(len(s.samples), func(i int) bool { return s.samples[i].At.After(to) }) - 1
	if first >= len(s.samples) || last < first {
		return meshsim.Counts{}
	}
	return s.samples[last].Counts.Sub(s.samples[first].Counts)
}
