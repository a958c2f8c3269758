//go:build scale

package scale

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/meshcanary/meshcanary/pkg/config"
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
// after since, how long the Deployment controller took to observe it. For a
// canary promoted by role swap its two slots' generations count too: they
// run the canary and the primary, where the user's Deployment only holds
// the template.
func (o *observer) observedLags(names []string, since time.Time) []time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	var lags []time.Duration
	for _, name := range names {
		lags = append(lags, generationLags(o.rollout[name], since)...)
		if o.primarySlot(name) != "" {
			for _, slot := range []config.Slot{config.SlotA, config.SlotB} {
				lags = append(lags, generationLags(o.rollout[config.SlotName(name, slot)], since)...)
			}
		}
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
// replicas at or after since, is back at 0 replicas. For a canary promoted
// by role swap (its status names a primary slot) the user's Deployment
// stays at 0 and runs nothing: what leaves is the former primary's slot,
// the one that is not the primary's once the swap is written, and the
// canary counts once that slot went to 0 replicas at or after since.
func (o *observer) countScaledBack(names []string, since time.Time) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, name := range names {
		back := false
		if slot := o.primarySlot(name); slot != "" {
			back = scaledDown(o.rollout[config.SlotName(name, slot.Other())], since)
		} else {
			back = scaledBack(o.rollout[name], since)
		}
		if back {
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

// scaledDown reports whether events, a Deployment's rollout, show its spec
// go from running replicas to 0 at or after since and stay at 0: the
// scale-down of the former primary's slot, the last cluster work of a
// release promoted by role swap. Unlike scaledBack it does not ask for
// replicas given at or after since: that slot ran them since before.
func scaledDown(events []rolloutEvent, since time.Time) bool {
	i := len(events) // the first event of the trailing run at 0 replicas
	for i > 0 && events[i-1].spec == 0 {
		i--
	}
	return i > 0 && i < len(events) && !events[i].at.Before(since)
}

// sinceCase is a case of a predicate over a Deployment's rollout events
// and the release's start.
type sinceCase struct {
	events []rolloutEvent
	want   bool
}

// checkSince runs f, named name, on the events of each case with since,
// as a subtest of the case's name.
func checkSince(t *testing.T, name string, f func([]rolloutEvent, time.Time) bool, since time.Time, tests map[string]sinceCase) {
	t.Helper()
	for tn, tc := range tests {
		t.Run(tn, func(t *testing.T) {
			if got := f(tc.events, since); got != tc.want {
				t.Errorf("%s = %v, want %v", name, got, tc.want)
			}
		})
	}
}

func TestScaledDown(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	checkSince(t, "scaledDown", scaledDown, t0, map[string]sinceCase{
		"no events":                           {},
		"running since before, still running": {events: []rolloutEvent{{at: at(-60), spec: 2}, {at: at(5), spec: 2, updated: 2}}},
		"running since before, scaled to 0 after since": {
			events: []rolloutEvent{{at: at(-60), spec: 2}, {at: at(95), spec: 0, replicas: 2}, {at: at(96), spec: 0}}, want: true},
		"scaled to 0 before since and idle since": {
			events: []rolloutEvent{{at: at(-60), spec: 2}, {at: at(-5), spec: 0}, {at: at(3), spec: 0, generation: 4}}},
		"never ran":                  {events: []rolloutEvent{{at: at(-60), spec: 0}, {at: at(3), spec: 0, generation: 2}}},
		"scaled to 0, then up again": {events: []rolloutEvent{{at: at(-60), spec: 2}, {at: at(50), spec: 0}, {at: at(70), spec: 2}}},
		"scaled up and down since":   {events: []rolloutEvent{{at: at(-60), spec: 0}, {at: at(2), spec: 2}, {at: at(90), spec: 0}}, want: true},
	})
}

func TestScaledBack(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	checkSince(t, "scaledBack", scaledBack, t0, map[string]sinceCase{
		"idle before the release, never scaled up since": {events: []rolloutEvent{{at: at(-5), spec: 0}}},
		"scaled up, still running":                       {events: []rolloutEvent{{at: at(-5), spec: 0}, {at: at(2), spec: 2}}},
		"scaled up and back to 0":                        {events: []rolloutEvent{{at: at(-5), spec: 0}, {at: at(2), spec: 2}, {at: at(600), spec: 0}}, want: true},
		"scaled back before since only":                  {events: []rolloutEvent{{at: at(-9), spec: 2}, {at: at(-5), spec: 0}}},
	})
}

func TestCountScaledBack(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	ran := []rolloutEvent{{at: at(-60), spec: 2}}                         // running since before the release
	down := []rolloutEvent{{at: at(-60), spec: 2}, {at: at(95), spec: 0}} // scaled to 0 after the swap
	idleUser := []rolloutEvent{{at: at(-60), spec: 0}, {at: at(1), spec: 0, generation: 3}}
	tests := map[string]struct {
		status  string
		rollout map[string][]rolloutEvent
		want    int
	}{
		"rollout: the user's Deployment ran the canary and is back at 0": {
			status:  `{"phase":"Succeeded"}`,
			rollout: map[string][]rolloutEvent{"app-000": {{at: at(-60), spec: 0}, {at: at(2), spec: 2}, {at: at(95), spec: 0}}, "app-000-primary": ran},
			want:    1,
		},
		"rollout: the canary still runs": {
			status:  `{"phase":"Succeeded"}`,
			rollout: map[string][]rolloutEvent{"app-000": {{at: at(-60), spec: 0}, {at: at(2), spec: 2}}, "app-000-primary": ran},
		},
		"swap to slot b: slot a, the former primary, is at 0": {
			status:  `{"phase":"Succeeded","primarySlot":"b"}`,
			rollout: map[string][]rolloutEvent{"app-000": idleUser, "app-000-slot-a": down, "app-000-slot-b": {{at: at(-60), spec: 0}, {at: at(2), spec: 2}}},
			want:    1,
		},
		"swap to slot b: slot a still runs, whatever the user's Deployment says": {
			status:  `{"phase":"Succeeded","primarySlot":"b"}`,
			rollout: map[string][]rolloutEvent{"app-000": idleUser, "app-000-slot-a": ran, "app-000-slot-b": {{at: at(-60), spec: 0}, {at: at(2), spec: 2}}},
		},
		"swap to slot a: slot b, the former primary, is at 0": {
			status:  `{"phase":"Succeeded","primarySlot":"a"}`,
			rollout: map[string][]rolloutEvent{"app-000": idleUser, "app-000-slot-a": {{at: at(-60), spec: 0}, {at: at(2), spec: 2}}, "app-000-slot-b": down},
			want:    1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o := &observer{status: map[string]string{"app-000": tc.status}, rollout: tc.rollout}
			if got := o.countScaledBack([]string{"app-000"}, t0); got != tc.want {
				t.Errorf("countScaledBack = %d, want %d", got, tc.want)
			}
		})
	}
}
