//go:build scale

package scale

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// hold is a status that entered Holding: when, and what it waited for.
type hold struct {
	at   time.Time
	wait string
}

// newHold reports whether status s starts a hold that the previous raw
// status did not record.
func newHold(prevRaw string, s stepper.Status) bool {
	if s.Reason != stepper.ReasonHolding || s.HoldSince == nil {
		return false
	}
	var prev stepper.Status
	_ = json.Unmarshal([]byte(prevRaw), &prev)
	return prev.HoldSince == nil || !prev.HoldSince.Equal(*s.HoldSince)
}

// waitOf returns what a Holding message says the step waits for, digits
// and all, without the step's position and the rollback deadline.
func waitOf(message string) string {
	_, wait, ok := strings.Cut(message, "cannot advance: ")
	if !ok {
		return message
	}
	wait, _, _ = strings.Cut(wait, "; rolls back after")
	return wait
}

// holdsSince counts the holds seen at or after since by what they waited for.
func (o *observer) holdsSince(since time.Time) map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[string]int{}
	for _, h := range o.holds {
		if !h.at.Before(since) {
			out[h.wait]++
		}
	}
	return out
}

func TestHolds(t *testing.T) {
	since := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	later := since.Add(time.Second)
	holding := func(at *time.Time) stepper.Status {
		return stepper.Status{Reason: stepper.ReasonHolding, HoldSince: at,
			Message: "step 2/5 is over its bake time but cannot advance: canary weight 20% not applied; rolls back after 10m0s"}
	}
	raw := func(s stepper.Status) string {
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	tests := map[string]struct {
		prev string
		next stepper.Status
		want bool
	}{
		"a hold after a status without one is new": {raw(stepper.Status{Reason: stepper.ReasonStepAdvanced}), holding(&since), true},
		"the same hold written again is not new":   {raw(holding(&since)), holding(&since), false},
		"a hold with a later start is new":         {raw(holding(&since)), holding(&later), true},
		"a status that is not holding is no hold":  {"", stepper.Status{Reason: stepper.ReasonStepAdvanced}, false},
		"a hold first seen by the watch is new":    {"", holding(&since), true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := newHold(tc.prev, tc.next); got != tc.want {
				t.Errorf("newHold = %v, want %v", got, tc.want)
			}
		})
	}
	if got, want := waitOf(holding(&since).Message), "canary weight 20% not applied"; got != want {
		t.Errorf("waitOf = %q, want %q", got, want)
	}
}
