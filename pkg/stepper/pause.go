package stepper

import (
	"fmt"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// pausable reports whether phase p may be paused. Initializing, Promoting
// and RollingBack always run to their end (the pause then takes effect in
// the idle phase they reach).
func pausable(p Phase) bool {
	switch p {
	case PhaseReady, PhaseProgressing, PhaseSucceeded, PhaseFailed:
		return true
	}
	return false
}

// holdPause pauses the canary while the paused annotation or a pause
// command holds it, and resumes it when neither does. It reports whether it
// changed the phase.
func (m *machine) holdPause() bool {
	held := m.cfg.Paused || m.s.PauseCommand
	switch {
	case m.s.Phase == PhasePaused && !held:
		m.resume()
	case m.s.Phase != PhasePaused && held && pausable(m.s.Phase):
		m.pause()
	default:
		return false
	}
	return true
}

// pause freezes the canary where it is.
func (m *machine) pause() {
	s := &m.s
	by := "annotation " + config.Prefix + config.KeyPaused
	if s.PauseCommand {
		by = "the pause command"
	}
	s.PausedFrom, s.PausedAt = s.Phase, m.stamp()
	s.Phase = PhasePaused
	m.transition(false, ReasonPaused, fmt.Sprintf("paused by %s at %s", by, m.position()))
}

// resume returns to the phase the canary was paused in. The step and hold
// clocks move forward by the time spent paused, so a step keeps the bake
// time it had left when it was paused.
func (m *machine) resume() {
	s := &m.s
	pausedFor := m.now.Sub(timeOf(s.PausedAt))
	s.StepStart, s.HoldSince = m.unpaused(s.StepStart), m.unpaused(s.HoldSince)
	s.Phase = s.PausedFrom
	m.clearPause()
	m.transition(false, ReasonResumed, fmt.Sprintf("resumed at %s after %s paused", m.position(), pausedFor))
}

// unpaused moves a clock started at t forward by the paused time, so that
// it shows only the time that ran before the pause; a clock started during
// the pause starts now.
func (m *machine) unpaused(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	ran := max(timeOf(m.s.PausedAt).Sub(*t), 0)
	resumed := m.now.Add(-ran)
	return &resumed
}

// clearPause forgets where and when the canary was paused.
func (m *machine) clearPause() {
	m.s.PausedFrom, m.s.PausedAt = "", nil
}

// paused keeps the canary frozen, except that a new template while paused
// at a step cannot wait: the canary's old pods are going away, so the
// release is superseded (weight 0, still paused) or reverted.
func (m *machine) paused() {
	if m.s.PausedFrom == PhaseProgressing && m.o.Revision != m.s.Revision {
		m.replaced()
	}
}
