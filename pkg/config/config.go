package config

import "time"

// Config is the parsed configuration of one opted-in Deployment.
//
// Weights are exact integers: Total is 100 × 10^d where d (0, 1 or 2) is the
// largest number of decimals used in the steps, and each entry of Steps is a
// canary weight out of Total. "0.5,1,5" gives Total 1000 and Steps [5 10 50].
type Config struct {
	// Service is the Service to split; "" means the one Service in the
	// namespace whose selector matches the pod template.
	Service string
	// Steps are the canary weights, strictly increasing, each in (0, Total].
	Steps []int32
	// Total is the weight that means 100 %.
	Total int32
	// StepInterval is the bake time of one step.
	StepInterval time.Duration
	// CheckInterval is how often gates are evaluated during a step
	// (never longer than StepInterval).
	CheckInterval time.Duration
	// VirtualService names an existing VirtualService to patch; "" means the
	// only one in the namespace whose hosts include the service, or one that
	// meshcanary creates.
	VirtualService string
	// VirtualServices, when not empty, are the only VirtualServices besides
	// the home one that meshcanary may split for the service
	// (meshcanary.io/virtual-services); a reference without a namespace is
	// in the Deployment's. Which namespaces may be patched at all is the
	// operator's choice (--virtualservice-namespaces), never an annotation's.
	VirtualServices []VirtualServiceRef
	// Gateways and Hosts are used when meshcanary creates the VirtualService.
	Gateways []string
	Hosts    []string
	// MaxFailedChecks failed gate checks roll the release back.
	MaxFailedChecks int
	// ProgressDeadline bounds how long the canary (or the primary during
	// adoption and promotion) may go without progress before it is
	// available (see stepper's waitDue).
	ProgressDeadline time.Duration
	// ScaleDownCanary scales the user's Deployment to zero while idle.
	ScaleDownCanary bool
	// Paused freezes the release where it is.
	Paused bool
	// PrimaryName is the name of the primary Deployment.
	PrimaryName string
	// CanaryReplicas, when set, is the replica count of the canary during a
	// release; otherwise the primary's replica count is used.
	CanaryReplicas *int32
	// MirrorDuration is how long the canary receives mirrored traffic
	// before step 1; 0 skips mirroring. It is set by the controller from the
	// strategy annotations (package strategy), not by Parse.
	MirrorDuration time.Duration
	// Approval is the point where a release waits for a promote command:
	// ApprovalNone, ApprovalBeforeFirstStep or ApprovalBeforePromotion.
	Approval Approval
	// MaxHold is how long gates may answer Hold past the end of a step (or
	// how long Prometheus may be unreachable) before the release rolls back.
	MaxHold time.Duration
	// ScaleDownDelay is how long the canary keeps its pods after the
	// traffic left it at the end of a release, so that every proxy has the
	// route without it before its pods go (xDS propagation).
	ScaleDownDelay time.Duration
	// Hooks are the webhooks called before the first step and after the
	// end of a release.
	Hooks Hooks
	// Promotion is how a release is promoted: PromotionRollout (the
	// default) or PromotionSwap.
	Promotion Promotion
}

// Promotion is how a release that passed its steps becomes the stable one.
type Promotion string

// The values of meshcanary.io/promotion.
const (
	// PromotionRollout: the canary runs in the user's Deployment and the
	// primary, a copy, rolls out the released template at promotion.
	PromotionRollout Promotion = "rollout"
	// PromotionSwap: the canary and the primary run in two Deployments
	// meshcanary owns (slots, see Slot); promotion swaps their roles in
	// the VirtualService write that ends the release, without a second
	// rollout.
	PromotionSwap Promotion = "swap"
)

// Approval is a point of a release where it waits for an operator's
// promote command, for as long as it takes (MaxHold does not apply).
type Approval string

// The values of meshcanary.io/approval.
const (
	// ApprovalNone: the release never waits for an operator.
	ApprovalNone Approval = ""
	// ApprovalBeforeFirstStep: the canary is available (and, with
	// mirroring, was mirrored to) but gets no traffic until approved.
	ApprovalBeforeFirstStep Approval = "before-first-step"
	// ApprovalBeforePromotion: every step passed; the primary is updated
	// once approved.
	ApprovalBeforePromotion Approval = "before-promotion"
)
