//go:build scale

package scale

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// rolloutEvent is a Deployment's generation, observed generation and
// replica counts (spec, status, updated, available) when one changed.
type rolloutEvent struct {
	at                                 time.Time
	generation, observed               int64
	spec, replicas, updated, available int32
}

// String reads "g<generation>/o<observed> s<spec> r<replicas> u<updated> a<available>".
func (e rolloutEvent) String() string {
	return fmt.Sprintf("g%d/o%d s%d r%d u%d a%d", e.generation, e.observed, e.spec, e.replicas, e.updated, e.available)
}

// observedLags returns, for every generation a canary's Deployment took at or
// after since, how long the Deployment controller took to observe it.
func (o *observer) observedLags(names []string, since time.Time) []time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	var lags []time.Duration
	for _, name := range names {
		lags = append(lags, generationLags(o.rollout[name], since)...)
	}
	return lags
}

// generationLags returns, for each new generation in events at or after
// since, the time until an event showed it observed.
func generationLags(events []rolloutEvent, since time.Time) []time.Duration {
	var lags []time.Duration
	for i, e := range events {
		if e.at.Before(since) || (i > 0 && events[i-1].generation >= e.generation) {
			continue
		}
		for _, later := range events[i:] {
			if later.observed >= e.generation {
				lags = append(lags, later.at.Sub(e.at))
				break
			}
		}
	}
	return lags
}

func TestGenerationLags(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	tests := map[string]struct {
		events []rolloutEvent
		want   []time.Duration
	}{
		"each new generation counts until an event shows it observed": {
			events: []rolloutEvent{
				{at: at(-5), generation: 4, observed: 4},
				{at: at(1), generation: 5, observed: 4},
				{at: at(2), generation: 6, observed: 4},
				{at: at(3), generation: 6, observed: 5},
				{at: at(12), generation: 6, observed: 6, available: 1},
			},
			want: []time.Duration{2 * time.Second, 10 * time.Second},
		},
		"generations before since do not count": {
			events: []rolloutEvent{{at: at(-2), generation: 3, observed: 2}, {at: at(1), generation: 3, observed: 3}},
		},
		"a generation never observed gives no lag": {
			events: []rolloutEvent{{at: at(1), generation: 7, observed: 6}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, generationLags(tc.events, t0), cmpopts.EquateEmpty(), approxDuration); diff != "" {
				t.Errorf("generationLags (-want +got):\n%s", diff)
			}
		})
	}
}

// countScaledBack counts the canaries whose Deployment, after running
// replicas at or after since, is back at 0 replicas.
func (o *observer) countScaledBack(names []string, since time.Time) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, name := range names {
		if scaledBack(o.rollout[name], since) {
			n++
		}
	}
	return n
}

// scaledBack reports whether events, a Deployment's rollout, show it given
// replicas at or after since and its latest spec at 0 again: the canary's
// scale-down, the last cluster work of a release.
func scaledBack(events []rolloutEvent, since time.Time) bool {
	ran := false
	for _, e := range events {
		if !e.at.Before(since) && e.spec > 0 {
			ran = true
		}
	}
	return ran && events[len(events)-1].spec == 0
}

func TestScaledBack(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	tests := map[string]struct {
		events []rolloutEvent
		want   bool
	}{
		"idle before the release, never scaled up since": {events: []rolloutEvent{{at: at(-5), spec: 0}}},
		"scaled up, still running":                       {events: []rolloutEvent{{at: at(-5), spec: 0}, {at: at(2), spec: 2}}},
		"scaled up and back to 0":                        {events: []rolloutEvent{{at: at(-5), spec: 0}, {at: at(2), spec: 2}, {at: at(600), spec: 0}}, want: true},
		"scaled back before since only":                  {events: []rolloutEvent{{at: at(-9), spec: 2}, {at: at(-5), spec: 0}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := scaledBack(tt.events, t0); got != tt.want {
				t.Errorf("scaledBack = %v, want %v", got, tt.want)
			}
		})
	}
}
