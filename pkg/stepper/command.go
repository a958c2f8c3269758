package stepper

import (
	"errors"
	"fmt"
	"strings"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// The command verbs of the meshcanary.io/command annotation.
const (
	// VerbPromote skips the remaining steps and promotes the canary; while
	// the release awaits approval before its first step, it approves the
	// first step instead.
	VerbPromote = "promote"
	// VerbAbort rolls the release back.
	VerbAbort = "abort"
	// VerbRetry restarts a failed release from step 0.
	VerbRetry = "retry"
	// VerbPause holds the canary paused until VerbResume.
	VerbPause = "pause"
	// VerbResume releases the hold of VerbPause.
	VerbResume = "resume"
)

// verbs lists the verbs in the order error messages name them.
var verbs = []string{VerbPromote, VerbAbort, VerbRetry, VerbPause, VerbResume}

// ErrInvalidCommand is wrapped by the errors of ParseCommand.
var ErrInvalidCommand = errors.New("invalid command")

// ParseCommand returns the verb of a command annotation value, which is
// "<verb>" or "<verb>/<nonce>" (the nonce lets the same verb be given twice
// in a row). The verb is one of promote, abort, retry, pause and resume,
// in lower case; the nonce is any non-empty text.
func ParseCommand(v string) (string, error) {
	verb, nonce, hasNonce := strings.Cut(v, "/")
	valid := false
	for _, known := range verbs {
		valid = valid || verb == known
	}
	if !valid || (hasNonce && nonce == "") {
		return "", fmt.Errorf("%w %q: want <verb> or <verb>/<nonce>, verb one of %s",
			ErrInvalidCommand, v, strings.Join(verbs, ", "))
	}
	return verb, nil
}

// command acts once on the command annotation and acknowledges it. A
// command that does not apply to the current phase is acknowledged with a
// Warning event and changes nothing else.
func (m *machine) command() {
	m.s.CommandAck = m.o.Command
	verb, err := ParseCommand(m.o.Command)
	if err != nil {
		m.emit(true, ReasonInvalidCommand, err.Error())
		return
	}
	phase := effectivePhase(m.s)
	switch {
	case verb == VerbPromote && phase == PhaseProgressing && m.awaitingFirstStep():
		m.s.PauseCommand = false
		m.approve()
	case verb == VerbPromote && phase == PhaseProgressing:
		m.s.PauseCommand = false
		what := "promote command"
		if m.s.AwaitingApproval != nil {
			what = "promote command approved the promotion"
		}
		m.promote(fmt.Sprintf("%s at %s: promoting revision %s", what, m.position(), m.s.Revision))
	case verb == VerbAbort && phase == PhaseProgressing:
		m.s.PauseCommand = false
		m.rollBack(ReasonAborted, fmt.Sprintf("abort command at %s", m.position()))
	case verb == VerbRetry && phase == PhaseFailed && m.o.Revision != m.s.StableRevision:
		m.s.PauseCommand = false
		m.start(fmt.Sprintf("retry command: releasing revision %s again", m.o.Revision))
	case verb == VerbPause && (m.s.Phase == PhasePaused || pausable(phase)):
		m.s.PauseCommand = true
		if !m.holdPause() {
			m.emit(false, ReasonCommandAcknowledged, "pause command holds the canary paused until a resume command")
		}
	case verb == VerbResume && (m.s.Phase == PhasePaused || m.s.PauseCommand):
		m.s.PauseCommand = false
		if !m.holdPause() {
			m.emit(false, ReasonCommandAcknowledged, m.released())
		}
	default:
		m.emit(true, ReasonCommandIgnored, fmt.Sprintf("command %q does not apply in phase %s: %s",
			m.o.Command, m.s.Phase, applies[verb]))
	}
}

// applies says where each verb applies, for CommandIgnored events.
var applies = map[string]string{
	VerbPromote: "promote applies while Progressing",
	VerbAbort:   "abort applies while Progressing",
	VerbRetry:   "retry applies while Failed with a template other than the stable revision",
	VerbPause:   "pause applies while Ready, Progressing, Succeeded or Failed",
	VerbResume:  "resume applies while paused",
}

// released describes a resume command that did not resume the canary.
func (m *machine) released() string {
	if m.cfg.Paused {
		return "pause command released; annotation " + config.Prefix + config.KeyPaused + " still holds the canary paused"
	}
	return "pause command released"
}
