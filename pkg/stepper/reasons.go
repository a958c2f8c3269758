package stepper

// Reasons of transitions and events. A transition records its reason in
// Status.Reason and as the reason of its Event.
const (
	// ReasonInitializing: adoption began; the primary is being created.
	ReasonInitializing = "Initializing"
	// ReasonReady: the primary serves all traffic; adoption is done.
	ReasonReady = "Ready"
	// ReasonProgressDeadlineExceeded: the canary (step 0: rolls back) or the
	// primary (adoption, promotion: a warning, the wait goes on) did not
	// become available: no progress for the progress deadline, the
	// Deployment controller's own deadline exceeded, or MaxWaitFactor
	// deadlines after the step's start (see waitDue).
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"
	// ReasonReleaseStarted: a release of a new revision began at step 0.
	ReasonReleaseStarted = "ReleaseStarted"
	// ReasonMirroring: the canary is available and receives mirrored
	// traffic before step 1.
	ReasonMirroring = "Mirroring"
	// ReasonStepAdvanced: traffic moved to the next step's weight.
	ReasonStepAdvanced = "StepAdvanced"
	// ReasonCheckFailed: a gate check failed; it counts toward the maximum.
	ReasonCheckFailed = "CheckFailed"
	// ReasonTooManyFailedChecks: the maximum of failed checks was reached.
	ReasonTooManyFailedChecks = "TooManyFailedChecks"
	// ReasonHolding: a step's bake time is over but it cannot advance yet.
	ReasonHolding = "Holding"
	// ReasonHoldTimeout: a step held for longer than the maximum hold time.
	ReasonHoldTimeout = "HoldTimeout"
	// ReasonAborted: the abort command rolled the release back.
	ReasonAborted = "Aborted"
	// ReasonReverted: the user's template went back to the stable revision
	// during a release; traffic returns to the primary without promotion.
	ReasonReverted = "Reverted"
	// ReasonRolledBack: the canary is idle again after a rollback; the status
	// keeps the reason and message of the rollback.
	ReasonRolledBack = "RolledBack"
	// ReasonWeightLagging: a step's weight is missing from some of the
	// VirtualServices the release is split in (a Warning naming them).
	ReasonWeightLagging = "WeightLagging"
	// ReasonStepRestarted: every VirtualService carries the step's weight
	// again after a lag; the step's bake time starts over.
	ReasonStepRestarted = "StepRestarted"
	// ReasonWeightsOverwritten: a step's weight went missing again after
	// the step had started over MaxLagRestarts times; the release rolls
	// back.
	ReasonWeightsOverwritten = "WeightsOverwritten"
	// ReasonSuperseded: a newer revision restarted the release at step 0.
	ReasonSuperseded = "ReleaseSuperseded"
	// ReasonAwaitingApproval: the release waits for a promote command
	// before its first step or before promotion (Config.Approval), for as
	// long as it takes.
	ReasonAwaitingApproval = "AwaitingApproval"
	// ReasonApproved: a promote command approved the first step.
	ReasonApproved = "Approved"
	// ReasonPromoting: the primary is being updated to the released revision.
	ReasonPromoting = "Promoting"
	// ReasonPromotionResumed: the primary was found running the release's
	// revision outside Promoting (an interrupted promotion); the release
	// completes as a promotion.
	ReasonPromotionResumed = "PromotionResumed"
	// ReasonPrimaryUpdated: the primary runs the released revision and gets
	// all traffic back.
	ReasonPrimaryUpdated = "PrimaryUpdated"
	// ReasonPromoted: the release succeeded and the canary is idle.
	ReasonPromoted = "Promoted"
	// ReasonPaused and ReasonResumed: the canary was frozen or thawed.
	ReasonPaused  = "Paused"
	ReasonResumed = "Resumed"
	// ReasonInvalidCommand: the command annotation could not be parsed.
	ReasonInvalidCommand = "InvalidCommand"
	// ReasonCommandIgnored: the command does not apply in the current phase.
	ReasonCommandIgnored = "CommandIgnored"
	// ReasonCommandAcknowledged: a pause or resume command changed what holds
	// the canary paused without changing its phase.
	ReasonCommandAcknowledged = "CommandAcknowledged"
	// ReasonInvalidConfig: an annotation is invalid or ambiguous; nothing
	// that moves traffic is written until it is fixed.
	ReasonInvalidConfig = "InvalidConfig"
	// ReasonConfigValid: the configuration is valid again after
	// ReasonInvalidConfig.
	ReasonConfigValid = "ConfigValid"
	// ReasonCallingHook: the canary is ready and the pre-release hook is
	// called before step 1.
	ReasonCallingHook = "CallingHook"
	// ReasonHookSucceeded: a release hook answered without refusing.
	ReasonHookSucceeded = "HookSucceeded"
	// ReasonHookAttemptFailed: a call of a release hook failed; it is
	// retried after a backoff.
	ReasonHookAttemptFailed = "HookAttemptFailed"
	// ReasonHookFailed: every attempt of a release hook failed. A
	// pre-release hook's failure rolls the release back without moving
	// traffic; a post hook's is only reported.
	ReasonHookFailed = "HookFailed"
	// ReasonHookRefused: the pre-release hook refused the release, which
	// rolls back without moving traffic.
	ReasonHookRefused = "HookRefused"
	// ReasonRoutesNotSplit: a route to the service cannot carry the
	// weights (it also sends elsewhere); its traffic reaches the canary by
	// pod count.
	ReasonRoutesNotSplit = "RoutesNotSplit"
	// ReasonOptOutBlocked: the Deployment opted out while its template is
	// a revision the primary does not run (rejected, or in a release not
	// yet promoted); the opt-out waits, with all traffic on the primary,
	// until the template is the primary's revision again or the label
	// comes back. (Named HandBackBlocked before 2026-11-28.)
	ReasonOptOutBlocked = "OptOutBlocked"

	// ReasonPrimaryMissing: while idle, the primary was found deleted or
	// scaled to 0 replicas, so the subset holding all traffic has no pod;
	// it is recreated from the stable revision at the count it had.
	ReasonPrimaryMissing = "PrimaryMissing"
	// ReasonPrimaryRestored: the repaired primary is available again.
	ReasonPrimaryRestored = "PrimaryRestored"
	// ReasonPrimaryScaled: the user scaled their Deployment while idle; the
	// primary got the count and the user's Deployment went back to 0.
	ReasonPrimaryScaled = "PrimaryScaled"
	// ReasonScaleIgnored: the user scaled their Deployment while idle, but
	// an HPA twin scales the primary; the count was not moved.
	ReasonScaleIgnored = "ScaleIgnored"
)
