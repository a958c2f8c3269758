package stepper

import (
	"fmt"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// Invalid decides for a canary whose configuration is invalid: problems
// says what is wrong, cfg holds the defaults of the invalid keys. Nothing
// new is released, but a release in flight keeps its safety timers, so an
// invalid edit never freezes a canary weight for longer than the release
// itself would have allowed:
//
//   - at a step (or mirroring) the release holds, from the first invalid
//     decision unless it already held, and rolls back after MaxHold;
//   - at step 0 it rolls back at the progress deadline;
//   - a rollback ends Failed once weight 0 is applied;
//   - any other phase (idle, Initializing, Promoting, Paused) stays as it is.
//
// A ReasonInvalidConfig Warning reports problems when they differ from
// the status's ConfigError. Actions.Route is set only when the route must change (weight 0 of a
// rollback); the replicas and the primary are left alone. Requeue is the
// next timer due.
func Invalid(cfg config.Config, s Status, o Observations, problems string, now time.Time) (Status, Actions) {
	m := &machine{cfg: cfg, s: s, o: o, now: now}
	if s.ConfigError != problems {
		m.s.ConfigError = problems
		m.emit(true, ReasonInvalidConfig, problems)
	}
	switch {
	case m.s.Phase == PhaseProgressing && (m.s.Step >= 1 || m.s.Mirroring):
		m.holdInvalid()
	case m.s.Phase == PhaseProgressing:
		if how, missed := m.waitMissed(m.canaryRollout()); missed {
			m.rollBack(ReasonProgressDeadlineExceeded, fmt.Sprintf("revision %s not ready %s, and the configuration is invalid: %s",
				m.s.Revision, how, problems))
		}
	case m.s.Phase == PhaseRollingBack:
		m.rollingBack()
	}
	m.keepLag(s)
	a := Actions{Events: m.events}
	switch m.s.Phase {
	case PhaseRollingBack:
		a.Route, a.Requeue = true, m.soonest()
	case PhaseProgressing:
		a.Requeue = m.requeue()
	}
	return m.s, a
}

// holdInvalid holds a step whose configuration became invalid and rolls it
// back once it has held for MaxHold.
func (m *machine) holdInvalid() {
	s := &m.s
	if s.HoldSince == nil {
		s.HoldSince = m.stamp()
		m.transition(true, ReasonHolding, fmt.Sprintf("%s holds: the configuration is invalid (%s); rolls back after %s unless it is fixed",
			m.position(), s.ConfigError, m.cfg.MaxHold))
	}
	if !m.now.Before(s.HoldSince.Add(m.cfg.MaxHold)) {
		m.rollBack(ReasonHoldTimeout, fmt.Sprintf("%s held for %s with an invalid configuration: %s",
			m.position(), m.cfg.MaxHold, s.ConfigError))
	}
}
