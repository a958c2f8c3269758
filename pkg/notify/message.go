package notify

import (
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// Milestone is a moment of a release that stakeholders are told about.
type Milestone string

// The milestones of a release.
const (
	Started      Milestone = "started"
	StepAdvanced Milestone = "step-advanced"
	Held         Milestone = "held"
	RolledBack   Milestone = "rolled-back"
	Promoted     Milestone = "promoted"
	// AwaitingApproval: the release waits for an operator's promote
	// command (meshcanary.io/approval).
	AwaitingApproval Milestone = "awaiting-approval"
)

// Message is one milestone of one Deployment's release. It is the JSON body
// posted to a generic webhook.
type Message struct {
	Milestone  Milestone `json:"milestone"`
	Namespace  string    `json:"namespace"`
	Deployment string    `json:"deployment"`
	Revision   string    `json:"revision"`
	// Step of Steps and the canary Weight ("0.5%") after the decision that
	// reached the milestone.
	Step   int    `json:"step"`
	Steps  int    `json:"steps"`
	Weight string `json:"weight"`
	// Reason is the stepper's reason (see package stepper) and Text says
	// what happened in words, as the Kubernetes Event does.
	Reason string `json:"reason"`
	Text   string `json:"text"`
	// Gates are the verdicts that held or failed, for Held and RolledBack:
	// the failing gate with its value and threshold.
	Gates []gates.Verdict `json:"gates,omitempty"`
	Time  time.Time       `json:"time"`
}

// milestones maps the stepper's reasons to milestones; other reasons are
// not announced.
var milestones = map[string]Milestone{
	stepper.ReasonReleaseStarted:           Started,
	stepper.ReasonSuperseded:               Started,
	stepper.ReasonStepAdvanced:             StepAdvanced,
	stepper.ReasonMirroring:                StepAdvanced,
	stepper.ReasonHolding:                  Held,
	stepper.ReasonAwaitingApproval:         AwaitingApproval,
	stepper.ReasonApproved:                 StepAdvanced,
	stepper.ReasonProgressDeadlineExceeded: RolledBack,
	stepper.ReasonTooManyFailedChecks:      RolledBack,
	stepper.ReasonHoldTimeout:              RolledBack,
	stepper.ReasonAborted:                  RolledBack,
	stepper.ReasonReverted:                 RolledBack,
	stepper.ReasonPromoted:                 Promoted,
}

// FromEvents turns the events of one decision into the messages to send,
// in order: s is the status the decision reached and now its time. A
// progress deadline missed by the primary (adoption, promotion) only
// warns, and is a Held milestone rather than a rollback.
func FromEvents(namespace, deployment string, s stepper.Status, events []stepper.Event, now time.Time) []Message {
	var out []Message
	for _, e := range events {
		m, ok := milestones[e.Reason]
		if !ok {
			continue
		}
		if e.Reason == stepper.ReasonProgressDeadlineExceeded && (s.Phase == stepper.PhaseInitializing || s.Phase == stepper.PhasePromoting) {
			m = Held
		}
		msg := Message{
			Milestone: m, Namespace: namespace, Deployment: deployment, Revision: s.Revision,
			Step: s.Step, Steps: s.Steps, Weight: weight(s),
			Reason: e.Reason, Text: e.Message, Time: now,
		}
		if m == Held || m == RolledBack {
			msg.Gates = notPassing(s.Verdicts)
		}
		out = append(out, msg)
	}
	return out
}

// notPassing is the verdicts that held or failed.
func notPassing(vs []gates.Verdict) []gates.Verdict {
	var out []gates.Verdict
	for _, v := range vs {
		if v.Result != gates.Pass {
			out = append(out, v)
		}
	}
	return out
}

// weight formats the status's canary weight; a status without a total (no
// step yet) has none.
func weight(s stepper.Status) string {
	if s.Total <= 0 {
		return "0%"
	}
	return config.FormatWeight(s.Weight, s.Total)
}
