package notify

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestFromEventsAnnouncesTheMilestones(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	value, threshold := 0.12, 0.01
	failing := gates.Verdict{Gate: "error-rate", Result: gates.Fail, Value: &value, Threshold: &threshold, Reason: "5xx ratio"}
	passing := gates.Verdict{Gate: "latency", Result: gates.Pass}
	at := func(phase stepper.Phase, step int, weight int32, verdicts ...gates.Verdict) stepper.Status {
		return stepper.Status{Phase: phase, Revision: "7c9f", Step: step, Steps: 3, Weight: weight, Total: 1000, Verdicts: verdicts}
	}
	event := func(reason string) []stepper.Event {
		return []stepper.Event{{Reason: reason, Message: reason + " text"}}
	}
	tests := map[string]struct {
		status stepper.Status
		events []stepper.Event
		want   []Message
	}{
		"a release start is announced": {
			status: stepper.Status{Phase: stepper.PhaseProgressing, Revision: "7c9f"}, events: event(stepper.ReasonReleaseStarted),
			want: []Message{{Milestone: Started, Weight: "0%", Reason: stepper.ReasonReleaseStarted}},
		},
		"a superseded release is a new start": {
			status: at(stepper.PhaseProgressing, 0, 0), events: event(stepper.ReasonSuperseded),
			want: []Message{{Milestone: Started, Steps: 3, Weight: "0%", Reason: stepper.ReasonSuperseded}},
		},
		"a step advanced carries the exact weight": {
			status: at(stepper.PhaseProgressing, 1, 5), events: event(stepper.ReasonStepAdvanced),
			want: []Message{{Milestone: StepAdvanced, Step: 1, Steps: 3, Weight: "0.5%", Reason: stepper.ReasonStepAdvanced}},
		},
		"a wait for approval is announced at the step it waits at": {
			status: at(stepper.PhaseProgressing, 3, 50, passing), events: event(stepper.ReasonAwaitingApproval),
			want: []Message{{Milestone: AwaitingApproval, Step: 3, Steps: 3, Weight: "5%", Reason: stepper.ReasonAwaitingApproval}},
		},
		"a hold carries the gates that did not pass": {
			status: at(stepper.PhaseProgressing, 2, 50, passing, failing), events: event(stepper.ReasonHolding),
			want: []Message{{Milestone: Held, Step: 2, Steps: 3, Weight: "5%", Reason: stepper.ReasonHolding, Gates: []gates.Verdict{failing}}},
		},
		"a rollback carries the failing gate and value": {
			status: at(stepper.PhaseRollingBack, 2, 0, failing), events: event(stepper.ReasonTooManyFailedChecks),
			want: []Message{{Milestone: RolledBack, Step: 2, Steps: 3, Weight: "0%", Reason: stepper.ReasonTooManyFailedChecks, Gates: []gates.Verdict{failing}}},
		},
		"a canary missing its progress deadline is rolled back": {
			status: at(stepper.PhaseRollingBack, 0, 0), events: event(stepper.ReasonProgressDeadlineExceeded),
			want: []Message{{Milestone: RolledBack, Steps: 3, Weight: "0%", Reason: stepper.ReasonProgressDeadlineExceeded}},
		},
		"a primary missing its progress deadline while promoting only holds": {
			status: at(stepper.PhasePromoting, 3, 500), events: event(stepper.ReasonProgressDeadlineExceeded),
			want: []Message{{Milestone: Held, Step: 3, Steps: 3, Weight: "50%", Reason: stepper.ReasonProgressDeadlineExceeded}},
		},
		"events that are no milestones are not announced, the others keep their order": {
			status: at(stepper.PhaseSucceeded, 3, 0),
			events: []stepper.Event{
				{Reason: stepper.ReasonCheckFailed}, {Reason: stepper.ReasonPrimaryUpdated, Message: "PrimaryUpdated text"},
				{Reason: stepper.ReasonPromoted, Message: "Promoted text"}, {Reason: stepper.ReasonPaused},
			},
			want: []Message{{Milestone: Promoted, Step: 3, Steps: 3, Weight: "0%", Reason: stepper.ReasonPromoted}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for i := range tc.want {
				w := &tc.want[i]
				w.Namespace, w.Deployment, w.Revision, w.Text, w.Time = "shop", "web", "7c9f", w.Reason+" text", now
			}
			got := FromEvents("shop", "web", tc.status, tc.events, now)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("FromEvents (-want +got):\n%s", diff)
			}
		})
	}
}
