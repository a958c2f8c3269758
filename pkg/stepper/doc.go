// Package stepper is the release state machine of one canary, as a pure
// function.
//
// [Next] takes the configuration, the persisted [Status], the
// [Observations] the controller gathered and the current time, and returns
// the next Status and the [Actions] that make it true. It reads no clock
// and calls no client: timing is expressed as [Actions.Requeue], which the
// controller turns into a delayed workqueue item. [NeedsEvaluation] tells
// the controller when to evaluate the gates before calling Next, and
// [ParseCommand] reads the command annotation.
//
// # Phases
//
//	Initializing → Ready → Progressing (step 0..n) → Promoting → Succeeded
//	                           ↘ RollingBack → Failed
//	Ready, Progressing, Succeeded, Failed ⇄ Paused
//
// Adoption routes all traffic to the primary only once it is available, and
// is Ready once the route holds. A new revision while idle (Ready,
// Succeeded, or Failed with another revision than the failed one) starts a
// release at step 0, which scales the canary up and waits for it and its
// subset; a new revision during a release supersedes it and starts again at
// step 0 with weight 0. A step advances once its bake time is over, the
// gates pass, its weight is applied and the canary is available; otherwise
// it holds, and rolls back after the maximum hold time. The bake time
// counts from the moment every VirtualService the release is split in
// carries the step's weight (Status.WeightLagSince). Failed checks roll
// back at the maximum. Rollback sets weight 0 in the transition that enters
// it, and ends once the route holds weight 0. At the end of a release the
// canary keeps its pods for the scale-down delay after the route without it
// is applied (Status.TrafficLeftAt), so that Envoy proxies that get the
// route late still find a pod, and is idled then.
//
// Promoted by role swap (config.PromotionSwap), the canary runs in the slot
// that is not the primary's (Status.PrimarySlot), which gets the release's
// template at step 0 only (Actions.CanaryRevision); the decision that
// passes the last step makes it the primary, routes all traffic to it and
// records Succeeded, without Promoting (a promote command before the slot
// is ready waits in Promoting). The former primary's slot then drains and is
// idled as a canary is. [UserReplicas] and [CanaryReplicas] give the counts.
//
// With Config.Approval, the release waits for a promote command before
// step 1 or before promotion (Status.AwaitingApproval). The wait is not a
// hold: the maximum hold time does not end it, failed checks still do.
//
// Weight moves only when the canary is available and the DestinationRule
// has its subset, so traffic never goes to a subset without Ready pods. The
// primary is only ever asked to run the user's current template, the only
// one the controller can copy.
//
// # Pausing
//
// The paused annotation and the pause command each hold the canary paused;
// it resumes when neither holds. Initializing, Promoting and RollingBack
// run to their end first. Paused, nothing moves, except that a new template
// while paused at a step supersedes (or reverts) the release at once,
// because the canary's pods are being replaced. On resume, the step and
// hold clocks move forward by the time spent paused.
package stepper
