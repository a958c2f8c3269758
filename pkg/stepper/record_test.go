package stepper_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestRecorded(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	home := func(phase stepper.Phase, at time.Time) stepper.Status {
		return stepper.Status{Phase: phase, PrimarySlot: config.SlotA, Revision: "r0", StableRevision: "r0", TransitionTime: at}
	}
	start := func(at time.Time, edit func(*stepper.Status)) string {
		s := stepper.Status{Phase: stepper.PhaseProgressing, PrimarySlot: config.SlotA, Revision: "r1", StableRevision: "r0",
			Steps: 5, Total: 100, ReleaseStart: &at, StepStart: &at, TransitionTime: at}
		if edit != nil {
			edit(&s)
		}
		return s.Encode()
	}
	same := func(*stepper.Status) {}
	for name, c := range map[string]struct {
		home   stepper.Status
		record string
		want   bool
	}{
		"a start after the last promotion is the status":      {home(stepper.PhaseSucceeded, t0), start(t0.Add(time.Second), same), true},
		"a start after adoption is the status":                {home(stepper.PhaseReady, t0), start(t0.Add(time.Nanosecond), nil), true},
		"a retry after a rollback is the status":              {home(stepper.PhaseFailed, t0), start(t0.Add(time.Minute), nil), true},
		"the record of the release the rollback ended is not": {home(stepper.PhaseFailed, t0), start(t0.Add(-time.Minute), nil), false},
		"a record as old as the home's transition is not":     {home(stepper.PhaseSucceeded, t0), start(t0, nil), false},
		"no record":                                            {home(stepper.PhaseSucceeded, t0), "", false},
		"a record that does not parse is not":                  {home(stepper.PhaseSucceeded, t0), "{", false},
		"a home past its start holds the release":              {home(stepper.PhaseProgressing, t0), start(t0.Add(time.Second), nil), false},
		"a paused home holds its pause":                        {with(home(stepper.PhasePaused, t0), func(s *stepper.Status) { s.PausedFrom = stepper.PhaseSucceeded }), start(t0.Add(time.Second), nil), false},
		"a home still adopting has no release":                 {home(stepper.PhaseInitializing, t0), start(t0.Add(time.Second), nil), false},
		"a record of the other primary slot is not":            {home(stepper.PhaseSucceeded, t0), start(t0.Add(time.Second), func(s *stepper.Status) { s.PrimarySlot = config.SlotB }), false},
		"a record past step 0 is not (weights go to the home)": {home(stepper.PhaseSucceeded, t0), start(t0.Add(time.Second), func(s *stepper.Status) { s.Step, s.Weight = 1, 10 }), false},
		"a record that mirrors is not":                         {home(stepper.PhaseSucceeded, t0), start(t0.Add(time.Second), func(s *stepper.Status) { s.Mirroring = true }), false},
		"a record of an ended release is not":                  {home(stepper.PhaseSucceeded, t0), start(t0.Add(time.Second), func(s *stepper.Status) { s.Phase = stepper.PhaseFailed }), false},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := stepper.Recorded(c.home, c.record)
			if ok != c.want {
				t.Fatalf("Recorded ok = %v, want %v", ok, c.want)
			}
			if !ok {
				if d := cmp.Diff(stepper.Status{}, got); d != "" {
					t.Errorf("a record that does not count returned a status (-want +got):\n%s", d)
				}
				return
			}
			if got.Encode() != c.record {
				t.Errorf("Recorded = %s, want the record %s", got.Encode(), c.record)
			}
		})
	}
}
