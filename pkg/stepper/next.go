package stepper

import (
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// maxPasses bounds the phase decisions taken in one call of Next. A pass that
// changes the phase lets the new phase decide on the same observations (for
// example RollingBack → Failed → Progressing when a newer revision waits).
// Chains are a few phases long; the bound only guards against a cycle.
const maxPasses = 8

// Next decides the next Status of one canary and the Actions that make it
// true, from its configuration, its persisted Status, the Observations the
// controller gathered and the current time.
//
// Next is deterministic: the same arguments give the same result, so a
// restarted controller resumes where the status says, honouring the
// remaining bake time of a step without moving traffic. An empty Phase
// starts adoption. A primary found running the release's revision outside
// Promoting resumes the promotion. A command (Observations.Command
// differing from Status.CommandAck) is acted on first, then the phase
// decides; when it moves to another phase, that phase decides too. Gate
// verdicts count only for the phase and step they were evaluated in. A
// ConfigError left by [Invalid] is cleared, with a ReasonConfigValid Event
// first.
//
// Next does not modify s: pointer fields of the result are new or shared
// unchanged, and slices are copied.
func Next(cfg config.Config, s Status, o Observations, now time.Time) (Status, Actions) {
	m := &machine{cfg: cfg, s: s, o: o, now: now}
	m.configValid()
	if m.s.Phase == "" {
		m.adopt()
	}
	m.recordHooks()
	m.resumeInterruptedPromotion()
	m.watchPrimary()
	if o.Command != "" && o.Command != s.CommandAck {
		m.command()
	}
	for range maxPasses {
		from := m.s.Phase
		m.holdPause()
		m.decide()
		if m.s.Phase == from {
			break
		}
		m.o.Verdicts = nil
	}
	m.endDrain(s)
	m.rememberPrimary()
	m.keepLag(s)
	return m.s, m.actions()
}

// machine carries one decision: the inputs, the status being decided and
// the events recorded on the way.
type machine struct {
	cfg    config.Config
	s      Status
	o      Observations
	now    time.Time
	events []Event
	// repair and scalePrimary are decided by watchPrimary.
	repair       *PrimaryRepair
	scalePrimary int32
	// swapped is set by a promotion by role swap in this decision: the
	// observed canary slot is the primary now.
	swapped bool
}

// configValid clears the ConfigError of an invalid configuration that
// is valid again, and says so.
func (m *machine) configValid() {
	if m.s.ConfigError != "" {
		m.s.ConfigError = ""
		m.emit(false, ReasonConfigValid, "configuration is valid again")
	}
}

// decide runs the decision of the current phase.
func (m *machine) decide() {
	switch m.s.Phase {
	case PhaseInitializing:
		m.initializing()
	case PhaseReady, PhaseSucceeded, PhaseFailed:
		m.idle()
	case PhaseProgressing:
		m.progressing()
	case PhasePromoting:
		m.promoting()
	case PhaseRollingBack:
		m.rollingBack()
	case PhasePaused:
		m.paused()
	}
}

// transition records a change of the release: reason and message in the
// status, the transition time, and one Event.
func (m *machine) transition(warning bool, reason, message string) {
	m.s.Reason, m.s.Message, m.s.TransitionTime = reason, message, m.now
	m.emit(warning, reason, message)
}

// emit records an Event without touching the status (feedback on commands).
func (m *machine) emit(warning bool, reason, message string) {
	m.events = append(m.events, Event{Warning: warning, Reason: reason, Message: message})
}

// applied reports whether the live VirtualService routes the subsets with
// the status's weight.
func (m *machine) applied() bool {
	return m.o.Routed && m.o.AppliedWeight == m.s.Weight
}

// stamp returns a new pointer to the current time.
func (m *machine) stamp() *time.Time {
	t := m.now
	return &t
}

// timeOf returns *t, or the zero time (long past) when t is nil.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// effectivePhase is the phase a paused canary was paused in, else its phase.
func effectivePhase(s Status) Phase {
	if s.Phase == PhasePaused {
		return s.PausedFrom
	}
	return s.Phase
}
