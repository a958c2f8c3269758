package stepper

import (
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// NeedsEvaluation reports whether the controller should evaluate the gates
// before calling Next: while Progressing at a step (1..n), when the check
// interval has passed since lastEval (the zero time if never), or when the
// step's bake time ended after lastEval, so the end of a step is judged
// without waiting for the next check. The controller keeps lastEval in
// memory; after a restart the zero time evaluates at once.
func NeedsEvaluation(cfg config.Config, s Status, now, lastEval time.Time) bool {
	if s.Phase != PhaseProgressing || (s.Step < 1 && !s.Mirroring) {
		return false
	}
	if now.Sub(lastEval) >= cfg.CheckInterval {
		return true
	}
	end := stepEnd(cfg, s)
	return lastEval.Before(end) && !now.Before(end)
}

// DecisionTime is the time to call Next with after the gates were asked at
// asked and answered at answered (the same time when none were asked):
// answered, so that a step the decision starts (StepStart, and the weight
// written with it) bakes from that write and not from before the gates
// took their time; but asked when the step's bake time ended in between,
// so that the end of a step is never judged on gates asked before it (the
// decision at asked finds the step not due and looks again at once, and
// NeedsEvaluation asks the gates again).
func DecisionTime(cfg config.Config, s Status, asked, answered time.Time) time.Time {
	if end := stepEnd(cfg, s); asked.Before(end) && !answered.Before(end) {
		return asked
	}
	return answered
}
