package cli

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestRowCellsSayWhatHoldsTheRelease(t *testing.T) {
	since := now.Add(-2 * time.Hour)
	tests := map[string]struct {
		status *stepper.Status
		want   string
	}{
		"a release awaiting approval says so next to its phase": {
			status: &stepper.Status{Phase: stepper.PhaseProgressing, Step: 3, Steps: 3, Weight: 50, Total: 100, AwaitingApproval: &since},
			want:   "Progressing,AwaitingApproval",
		},
		"a pending or failed release hook is shown next to the phase": {
			status: &stepper.Status{Phase: stepper.PhaseSucceeded, Hooks: []stepper.HookState{
				{Hook: stepper.HookPreRelease, Result: stepper.HookSucceeded},
				{Hook: stepper.HookPostPromotion, Result: stepper.HookFailed},
			}},
			want: "Succeeded,post-promotion:Failed",
		},
		"a release waiting for its pre-release hook says so": {
			status: &stepper.Status{Phase: stepper.PhaseProgressing, Hooks: []stepper.HookState{{Hook: stepper.HookPreRelease, Result: stepper.HookPending}}},
			want:   "Progressing,pre-release:Pending",
		},
		"a release that runs shows its phase alone": {
			status: &stepper.Status{Phase: stepper.PhaseProgressing, Step: 1, Steps: 3, Weight: 5, Total: 100},
			want:   "Progressing",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cells := rowCells(Canary{Namespace: "shop", Name: "web", Status: tc.status}, now)
			if diff := cmp.Diff(tc.want, cells[2]); diff != "" {
				t.Errorf("PHASE cell (-want +got):\n%s", diff)
			}
		})
	}
}
