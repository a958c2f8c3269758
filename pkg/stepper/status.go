package stepper

import (
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
)

// Phase is where a canary is in its lifecycle.
type Phase string

// The phases of a canary.
const (
	// PhaseInitializing: the primary is being created and rolled out; no
	// traffic has been moved yet.
	PhaseInitializing Phase = "Initializing"
	// PhaseReady: adopted, 100 % primary, no release has run yet.
	PhaseReady Phase = "Ready"
	// PhaseProgressing: a release is running. Step 0 means the canary is
	// being scaled up and waited for; step i (1..n) means weight Steps[i-1].
	PhaseProgressing Phase = "Progressing"
	// PhasePromoting: the primary is being updated to the canary's template;
	// afterwards traffic returns to 100 % primary and the canary is idled.
	PhasePromoting Phase = "Promoting"
	// PhaseSucceeded: the last release was promoted (or, after a revert of
	// the template to the stable revision, abandoned without failure); idle.
	PhaseSucceeded Phase = "Succeeded"
	// PhaseRollingBack: traffic is back on the primary; the canary is being
	// idled.
	PhaseRollingBack Phase = "RollingBack"
	// PhaseFailed: the last release was rolled back; idle until a new
	// revision or a retry command.
	PhaseFailed Phase = "Failed"
	// PhasePaused: frozen by the paused annotation or the pause command.
	PhasePaused Phase = "Paused"
)

// Status is the persisted state of one canary, stored as JSON in the
// meshcanary.io/status annotation of the VirtualService meshcanary routes
// for the Deployment, written in the same update as the weights. It is the only
// state the controller keeps across restarts.
type Status struct {
	Phase Phase `json:"phase"`
	// PrimarySlot is the slot that runs the primary when the Deployment is
	// promoted by role swap (config.PromotionSwap); the other slot runs the
	// canary. "" when the primary is the copy named config.PrimaryName
	// (config.PromotionRollout). Set at adoption, flipped by the write that
	// promotes a release.
	PrimarySlot config.Slot `json:"primarySlot,omitempty"`
	// Revision is the template revision of the current (or last) release.
	Revision string `json:"revision,omitempty"`
	// StableRevision is the revision the primary serves.
	StableRevision string `json:"stableRevision,omitempty"`
	// CanaryHash is the pod-template-hash of the canary's ReplicaSet for
	// Revision; the canary subset selects it.
	CanaryHash string `json:"canaryHash,omitempty"`
	// Mirroring is set at step 0 while the available canary receives
	// mirrored traffic (since StepStart) before step 1.
	Mirroring bool `json:"mirroring,omitempty"`
	// Step is 0 before stepping, 1..Steps while stepping.
	Step  int `json:"step"`
	Steps int `json:"steps"`
	// Weight is the canary weight out of Total that the stepper wants routed.
	Weight int32 `json:"weight"`
	Total  int32 `json:"total"`
	// ReleaseStart is when the current release began. StepStart is when the
	// current step began, or the wait for the canary (step 0) or for the
	// primary (Initializing, Promoting) that the progress deadline bounds.
	ReleaseStart *time.Time `json:"releaseStart,omitempty"`
	StepStart    *time.Time `json:"stepStart,omitempty"`
	// HoldSince is when a step past its bake time first could not advance
	// (gates holding, canary unavailable or weight not applied).
	HoldSince *time.Time `json:"holdSince,omitempty"`
	// WeightLagSince is when a decision at a step found its weight on some
	// of the VirtualServices the release is split in but not on all
	// (Observations.Lagging: a write of the decision that set it was lost
	// to a crash, a conflict or an error, or someone rewrote one since).
	// The step's bake time then starts again once every one is seen with
	// the weight: StepStart moves to that decision and this is cleared.
	// Until then the step holds past its bake time as any step whose weight
	// is not applied does.
	WeightLagSince *time.Time `json:"weightLagSince,omitempty"`
	// LagRestarts counts how often the current step started again after a
	// lag (see MaxLagRestarts).
	LagRestarts int `json:"lagRestarts,omitempty"`
	// FailedChecks counts failed gate checks in this release.
	FailedChecks int `json:"failedChecks"`
	// Verdicts are the last gate verdicts recorded.
	Verdicts []gates.Verdict `json:"verdicts,omitempty"`
	// Reason is a CamelCase reason of the last transition (one of the Reason
	// constants); Message says it in words. The end of a rollback keeps the
	// rollback's reason and message.
	Reason         string    `json:"reason,omitempty"`
	Message        string    `json:"message,omitempty"`
	TransitionTime time.Time `json:"transitionTime"`
	// CommandAck is the last meshcanary.io/command value acted on.
	CommandAck string `json:"commandAck,omitempty"`
	// PausedFrom is the phase to return to on resume; PausedAt when the
	// pause began (the step clock is shifted by the paused time on resume).
	PausedFrom Phase      `json:"pausedFrom,omitempty"`
	PausedAt   *time.Time `json:"pausedAt,omitempty"`
	// PauseCommand is true from a pause command until a resume command.
	// The canary stays paused while PauseCommand or Config.Paused holds it.
	PauseCommand bool `json:"pauseCommand,omitempty"`
	// ConfigError reports invalid annotations; while set, nothing changes.
	ConfigError string `json:"configError,omitempty"`
	// Superseded counts releases superseded by a newer revision.
	Superseded int `json:"superseded,omitempty"`
	// PrimaryReplicas is the primary's replica count last seen while idle
	// (or given to it from the user's Deployment), the count a deleted or
	// emptied primary is recreated with. Not tracked while an HPA twin
	// scales the primary.
	PrimaryReplicas int32 `json:"primaryReplicas,omitempty"`
	// TrafficLeftAt is when the route without canary weight was written,
	// with this status, at the end of a release. With scale-down on, the
	// idle canary keeps its pods until Config.ScaleDownDelay after it, so
	// that proxies that still have the older route find a pod. It stays
	// after the scale-down (which writes no status) until the next status
	// write that is due anyway: a new release, or a scale by the user.
	TrafficLeftAt *time.Time `json:"trafficLeftAt,omitempty"`
	// TrafficLeftGeneration is the user's Deployment's generation when the
	// traffic left the canary: while the Deployment still has it, nobody
	// has written it since, so its replicas are the canary's.
	TrafficLeftGeneration int64 `json:"trafficLeftGeneration,omitempty"`
	// AwaitingApproval is when the release began to wait for a promote
	// command at the point Config.Approval names; nil when not waiting.
	AwaitingApproval *time.Time `json:"awaitingApproval,omitempty"`
	// Approved is set by the promote command that approved the first step
	// of this release (Config.Approval before-first-step).
	Approved bool `json:"approved,omitempty"`
	// Hooks records the release hooks queued, called and answered, one per
	// hook: those of the current release, and a post hook of an earlier
	// release still pending (see DueHooks).
	Hooks []HookState `json:"hooks,omitempty"`
	// VirtualServices lists every VirtualService split with the weights,
	// the home one first, when there is more than the home one; set by the
	// controller, not by Next.
	VirtualServices []SplitVirtualService `json:"virtualServices,omitempty"`
	// Unsplit says, one message each, which VirtualServices route to the
	// service without the weights and why (the operator does not allow
	// their namespace, meshcanary.io/virtual-services leaves them out, no
	// split of them is safe); set by the controller.
	Unsplit []string `json:"unsplit,omitempty"`
}
