package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestSimulatedRelease(t *testing.T) {
	m := newSim(template(2*time.Minute, "r1"))
	m.run(t, 3*time.Hour)
	checkGolden(t, "release", m.log.String())
	expect(t, "weights", []int32{0, 5, 10, 50, 0}, m.weights)
	expect(t, "phases", []stepper.Phase{stepper.PhaseInitializing, stepper.PhaseReady, stepper.PhaseProgressing,
		stepper.PhasePromoting, stepper.PhaseSucceeded}, m.phases)
	// The canary is ready 30s after the release starts; each step then
	// bakes exactly five minutes.
	expect(t, "step times", []time.Duration{150 * time.Second, 450 * time.Second, 750 * time.Second},
		m.times[stepper.ReasonStepAdvanced])
	expect(t, "promotion time", []time.Duration{1050 * time.Second}, m.times[stepper.ReasonPromoting])
	expect(t, "stable revision", "r1", m.s.StableRevision)
	expect(t, "canary scaled down", false, m.w.canaryUp)
}

func TestSimulatedReleaseRollsBackAfterTwoFailedChecks(t *testing.T) {
	m := newSim(template(2*time.Minute, "r1"))
	m.gate = func(s stepper.Status, now time.Time) []gates.Verdict {
		if now.Sub(*s.StepStart) < time.Minute {
			return holding
		}
		return failing
	}
	m.run(t, 3*time.Hour)
	checkGolden(t, "failed-checks", m.log.String())
	expect(t, "weights", []int32{0, 5, 0}, m.weights)
	expect(t, "phases", []stepper.Phase{stepper.PhaseInitializing, stepper.PhaseReady, stepper.PhaseProgressing,
		stepper.PhaseRollingBack, stepper.PhaseFailed}, m.phases)
	expect(t, "failed checks", []time.Duration{210 * time.Second, 270 * time.Second}, m.times[stepper.ReasonCheckFailed])
	expect(t, "reason", stepper.ReasonTooManyFailedChecks, m.s.Reason)
	expect(t, "stable revision", "r0", m.s.StableRevision)
	expect(t, "canary scaled down", false, m.w.canaryUp)
}

func TestSimulatedReleaseSupersededMidRelease(t *testing.T) {
	m := newSim(template(2*time.Minute, "r1"), template(10*time.Minute, "r2"))
	m.run(t, 3*time.Hour)
	checkGolden(t, "superseded", m.log.String())
	expect(t, "weights", []int32{0, 5, 10, 0, 5, 10, 50, 0}, m.weights)
	expect(t, "superseded at", []time.Duration{10 * time.Minute}, m.times[stepper.ReasonSuperseded])
	expect(t, "superseded count", 1, m.s.Superseded)
	expect(t, "stable revision", "r2", m.s.StableRevision)
	expect(t, "phase", stepper.PhaseSucceeded, m.s.Phase)
}

func TestSimulatedPauseKeepsTheRemainingBakeTime(t *testing.T) {
	// Step 1 starts at 2m30s; paused 2m into it, resumed an hour later.
	m := newSim(template(2*time.Minute, "r1"), command(270*time.Second, "pause"), command(3870*time.Second, "resume"))
	m.run(t, 3*time.Hour)
	checkGolden(t, "pause-resume", m.log.String())
	expect(t, "weights", []int32{0, 5, 10, 50, 0}, m.weights)
	expect(t, "step times", []time.Duration{150 * time.Second, 4050 * time.Second, 4350 * time.Second},
		m.times[stepper.ReasonStepAdvanced])
}

func TestSimulatedRestartsMakeTheSameDecisions(t *testing.T) {
	for name, script := range map[string][]scripted{
		"a release":            {template(2*time.Minute, "r1")},
		"a superseded release": {template(2*time.Minute, "r1"), template(10*time.Minute, "r2")},
		"a paused release":     {template(2*time.Minute, "r1"), command(270*time.Second, "pause"), command(3870*time.Second, "resume")},
	} {
		t.Run("a controller restarted before every decision of "+name+" decides the same", func(t *testing.T) {
			steady, restarted := newSim(script...), newSim(script...)
			restarted.restart = true
			steady.run(t, 3*time.Hour)
			restarted.run(t, 3*time.Hour)
			expect(t, "transcript", steady.log.String(), restarted.log.String())
		})
	}
}
