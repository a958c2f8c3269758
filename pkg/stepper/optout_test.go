package stepper_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestOptOut(t *testing.T) {
	succeeded := with(ready(), func(s *stepper.Status) {
		s.Phase, s.Revision, s.StableRevision = stepper.PhaseSucceeded, "r1", "r1"
	})
	blocked := func(s stepper.Status) stepper.Status {
		s.Reason, s.TransitionTime = stepper.ReasonOptOutBlocked, t0
		return s
	}
	cases := map[string]struct {
		status          stepper.Status
		user, primary   string
		wantProceed     bool
		wantStatus      func(stepper.Status) stepper.Status
		wantEvent       bool
		messageContains string
	}{
		"a template the primary runs is handed back": {
			status: succeeded, user: "r1", primary: "r1", wantProceed: true,
		},
		"a rejected template waits, with a Warning": {
			status: failed(), user: "r1", primary: "r0",
			wantStatus: blocked, wantEvent: true, messageContains: "was rejected: its release is Failed",
		},
		"a template in a release not yet promoted waits": {
			status: stepping(2, 0), user: "r1", primary: "r0",
			wantStatus: blocked, wantEvent: true, messageContains: "not promoted (Progressing at step 2/3)",
		},
		"a template changed after a success waits": {
			status: succeeded, user: "r2", primary: "r1",
			wantStatus: blocked, wantEvent: true, messageContains: "revision r2, which was not promoted",
		},
		"a rejected template set back to the primary's revision is handed back": {
			status: blocked(failed()), user: "r0", primary: "r0", wantProceed: true,
			wantStatus: func(s stepper.Status) stepper.Status { return s },
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, proceed, events := stepper.OptOut(tc.status, tc.user, tc.primary, t0)
			if proceed != tc.wantProceed {
				t.Errorf("proceed = %v, want %v", proceed, tc.wantProceed)
			}
			want := tc.status
			if tc.wantStatus != nil {
				want = tc.wantStatus(tc.status)
			}
			if d := cmp.Diff(want, got, ignoreMessages); d != "" {
				t.Errorf("status (-want +got):\n%s", d)
			}
			if (len(events) == 1) != tc.wantEvent {
				t.Fatalf("events %+v, want one Warning: %v", events, tc.wantEvent)
			}
			if tc.wantEvent && (!events[0].Warning || !strings.Contains(events[0].Message, tc.messageContains) || events[0].Message != got.Message) {
				t.Errorf("event %+v, want a Warning saying %q, as the status message", events[0], tc.messageContains)
			}
			if !tc.wantEvent {
				return
			}
			again, proceed, events := stepper.OptOut(got, tc.user, tc.primary, t0.Add(time.Minute))
			if proceed || len(events) > 0 || again.TransitionTime != got.TransitionTime {
				t.Errorf("deciding again on the blocked status: proceed %v, events %+v, transition %s; want the same wait and no new Event", proceed, events, again.TransitionTime)
			}
		})
	}
}
