package stepper

import (
	"fmt"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// OptOut decides whether an opted-out Deployment may take the traffic
// back from the primary. It may when its template is the revision the
// primary runs: a promoted (or adopted) one. Any other template was never
// promoted — the release failed, or was still running — and handing it
// all traffic would be an ungated rollout, so the opt-out waits: the
// returned status records why (with one Warning Event when that changes),
// and the caller keeps every route on the primary. The user ends the wait
// by setting the template back to the primary's revision, or by opting in
// again (to promote the revision with a release, or the promote command).
func OptOut(s Status, userRevision, primaryRevision string, now time.Time) (Status, bool, []Event) {
	if userRevision == primaryRevision {
		return s, true, nil
	}
	why := "was not promoted"
	switch {
	case userRevision == s.Revision && (s.Phase == PhaseFailed || s.Phase == PhaseRollingBack):
		why = fmt.Sprintf("was rejected: its release is %s", s.Phase)
	case userRevision == s.Revision && s.Phase != PhaseSucceeded && s.Phase != PhaseReady:
		why = fmt.Sprintf("is in a release that was not promoted (%s at step %d/%d)", s.Phase, s.Step, s.Steps)
	}
	msg := fmt.Sprintf("opt-out waits: the Deployment's template is revision %s, which %s; handing it all traffic would be an ungated rollout. "+
		"All traffic stays on the primary (revision %s). Set the template back to revision %s to finish the opt-out, "+
		"or add the label %s=%s again to release it as a canary",
		userRevision, why, primaryRevision, primaryRevision, config.EnabledLabel, config.EnabledValue)
	if s.Reason == ReasonOptOutBlocked && s.Message == msg {
		return s, false, nil
	}
	s.Reason, s.Message, s.TransitionTime = ReasonOptOutBlocked, msg, now
	return s, false, []Event{{Warning: true, Reason: ReasonOptOutBlocked, Message: msg}}
}
