package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// approval makes the config wait for a promote command at point a.
func approval(a config.Approval) func(*config.Config) {
	return func(c *config.Config) { c.Approval = a }
}

// awaiting is s waiting for approval since since.
func awaiting(s stepper.Status, since time.Duration) stepper.Status {
	return with(s, func(s *stepper.Status) {
		s.AwaitingApproval = at(since)
		moved(s, stepper.ReasonAwaitingApproval, t0.Add(since))
	})
}

// awaits expects the wait for approval to begin at now.
func awaits(s *stepper.Status, now time.Time) {
	s.AwaitingApproval = &now
	moved(s, stepper.ReasonAwaitingApproval, now)
}

func TestNextApproval(t *testing.T) {
	start := stepping(0, -2*time.Minute)
	last := stepping(3, -5*time.Minute)
	lastWaiting := awaiting(last, -2*time.Hour)
	runNext(t, map[string]nextCase{
		"without approval, a ready canary moves to step 1": {
			status: start, obs: observed(start),
			want:    toStep(1),
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"before-first-step: a ready canary waits for approval with weight 0": {
			config: approval(config.ApprovalBeforeFirstStep),
			status: start, obs: observed(start),
			want:    awaits,
			actions: running(time.Minute, normal(stepper.ReasonAwaitingApproval)),
		},
		"before-first-step: the wait says nothing more while it lasts": {
			config: approval(config.ApprovalBeforeFirstStep),
			status: awaiting(start, -time.Minute), obs: observed(start), now: 5 * time.Minute,
			actions: running(time.Minute),
		},
		"before-first-step: the promote command approves and step 1 follows at once": {
			config: approval(config.ApprovalBeforeFirstStep),
			status: awaiting(start, -time.Hour),
			obs:    with(observed(start), func(o *stepper.Observations) { o.Command = "promote" }),
			want: func(s *stepper.Status, now time.Time) {
				s.AwaitingApproval, s.Approved, s.CommandAck = nil, true, "promote"
				toStep(1)(s, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonApproved), normal(stepper.ReasonStepAdvanced)),
		},
		"before-first-step: an approved release does not wait again at step 0": {
			config: approval(config.ApprovalBeforeFirstStep),
			status: with(start, func(s *stepper.Status) { s.Approved = true }), obs: observed(start),
			want:    toStep(1),
			actions: running(time.Minute, normal(stepper.ReasonStepAdvanced)),
		},
		"before-first-step: approval of a canary that is not ready yet waits for it with a fresh progress deadline": {
			config: approval(config.ApprovalBeforeFirstStep),
			status: awaiting(stepping(0, -time.Hour), -50*time.Minute),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.Command, o.CanaryAvailable = "promote", false
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.AwaitingApproval, s.Approved, s.CommandAck, s.StepStart = nil, true, "promote", &now
				moved(s, stepper.ReasonApproved, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonApproved)),
		},
		"before-promotion: the last step that passes waits for approval instead of promoting": {
			config: approval(config.ApprovalBeforePromotion),
			status: last, obs: with(observed(last), func(o *stepper.Observations) { o.Verdicts = passing }),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts = passing
				awaits(s, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonAwaitingApproval)),
		},
		"before-promotion: holding gates while waiting are not cut by the maximum hold": {
			config: approval(config.ApprovalBeforePromotion),
			status: lastWaiting, now: time.Hour,
			obs: with(observed(last), func(o *stepper.Observations) { o.Verdicts = holding }),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts = holding
			},
			actions: running(time.Minute),
		},
		"before-promotion: a failed check while waiting still counts": {
			config: approval(config.ApprovalBeforePromotion),
			status: lastWaiting,
			obs:    with(observed(last), func(o *stepper.Observations) { o.Verdicts = failing }),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts, s.FailedChecks = failing, 1
				moved(s, stepper.ReasonCheckFailed, now)
			},
			actions: running(time.Minute, warning(stepper.ReasonCheckFailed)),
		},
		"before-promotion: failed checks at the maximum roll back a waiting release": {
			config: approval(config.ApprovalBeforePromotion),
			status: with(lastWaiting, func(s *stepper.Status) { s.FailedChecks = 1 }),
			obs:    with(observed(last), func(o *stepper.Observations) { o.Verdicts = failing }),
			want: func(s *stepper.Status, now time.Time) {
				s.Verdicts, s.FailedChecks, s.Phase, s.Weight, s.AwaitingApproval = failing, 2, stepper.PhaseRollingBack, 0, nil
				moved(s, stepper.ReasonTooManyFailedChecks, now)
			},
			actions: rolledBackBy(stepper.ReasonTooManyFailedChecks, warning(stepper.ReasonCheckFailed)),
		},
		"before-promotion: the promote command promotes": {
			config: approval(config.ApprovalBeforePromotion),
			status: lastWaiting,
			obs:    with(observed(last), func(o *stepper.Observations) { o.Command = "promote/ok" }),
			want: func(s *stepper.Status, now time.Time) {
				s.Phase, s.StepStart, s.AwaitingApproval, s.CommandAck = stepper.PhasePromoting, &now, nil, "promote/ok"
				moved(s, stepper.ReasonPromoting, now)
			},
			actions: stepper.Actions{Route: true, Canary: stepper.ScaleUp, PrimaryRevision: "r1", Requeue: time.Minute,
				Events: []stepper.Event{normal(stepper.ReasonPromoting)}},
		},
		"a newer revision while waiting restarts the release, which waits again": {
			config: approval(config.ApprovalBeforeFirstStep),
			status: with(awaiting(start, -time.Hour), func(s *stepper.Status) { s.Approved = false }),
			obs: with(observed(start), func(o *stepper.Observations) {
				o.Revision, o.CanaryHash, o.CanaryAvailable = "r2", "h2", false
			}),
			want: func(s *stepper.Status, now time.Time) {
				s.Revision, s.CanaryHash, s.AwaitingApproval = "r2", "h2", nil
				s.ReleaseStart, s.StepStart, s.Superseded = &now, &now, 1
				moved(s, stepper.ReasonSuperseded, now)
			},
			actions: running(time.Minute, normal(stepper.ReasonSuperseded)),
		},
	})
}

func TestSimulatedApprovalBeforePromotionOutlastsTheMaximumHold(t *testing.T) {
	// Every step passes; the release waits from 17m30s and is approved
	// three hours later, six times the maximum hold of 30 minutes.
	m := newSim(template(2*time.Minute, "r1"), command(17*time.Minute+30*time.Second+3*time.Hour, "promote"))
	m.cfg.Approval = config.ApprovalBeforePromotion
	m.gate = func(stepper.Status, time.Time) []gates.Verdict { return passing }
	m.run(t, 5*time.Hour)
	checkGolden(t, "approval-before-promotion", m.log.String())
	expect(t, "weights", []int32{0, 5, 10, 50, 0}, m.weights)
	expect(t, "awaiting approval at", []time.Duration{1050 * time.Second}, m.times[stepper.ReasonAwaitingApproval])
	expect(t, "promotion time", []time.Duration{1050*time.Second + 3*time.Hour}, m.times[stepper.ReasonPromoting])
	expect(t, "phase", stepper.PhaseSucceeded, m.s.Phase)
	expect(t, "stable revision", "r1", m.s.StableRevision)
}

func TestSimulatedApprovalBeforeFirstStep(t *testing.T) {
	// The canary is ready at 2m30s and waits an hour with weight 0.
	m := newSim(template(2*time.Minute, "r1"), command(150*time.Second+time.Hour, "promote"))
	m.cfg.Approval = config.ApprovalBeforeFirstStep
	m.run(t, 5*time.Hour)
	checkGolden(t, "approval-before-first-step", m.log.String())
	expect(t, "weights", []int32{0, 5, 10, 50, 0}, m.weights)
	expect(t, "awaiting approval at", []time.Duration{150 * time.Second}, m.times[stepper.ReasonAwaitingApproval])
	expect(t, "step times", []time.Duration{150*time.Second + time.Hour, 450*time.Second + time.Hour, 750*time.Second + time.Hour},
		m.times[stepper.ReasonStepAdvanced])
	expect(t, "phase", stepper.PhaseSucceeded, m.s.Phase)
}
