package stepper

import "time"

// Scale says what the controller should do with the user's (canary)
// Deployment's replicas.
type Scale int

// The scale actions.
const (
	// ScaleKeep leaves the replicas alone.
	ScaleKeep Scale = iota
	// ScaleUp runs the canary (at the configured or the primary's count).
	ScaleUp
	// ScaleDown idles the canary (zero replicas when scale-down is on).
	ScaleDown
)

// Event is a Kubernetes Event to record on the user's Deployment.
type Event struct {
	// Warning is true for Warning events, false for Normal.
	Warning bool
	Reason  string
	Message string
}

// Actions is what the controller must make true after a decision.
type Actions struct {
	// Route is true when the VirtualService should route to the subsets with
	// Status.Weight; false leaves traffic alone (before adoption).
	Route bool
	// PrimaryRevision is the revision the primary should run; when it differs
	// from the primary's, the controller copies the user's template (which is
	// that revision) to the primary. "" means no change.
	PrimaryRevision string
	// Canary is what to do with the canary's replicas.
	Canary Scale
	// CanaryRevision, with config.PromotionSwap, is the revision the canary
	// slot should run: when it differs from the slot's, the controller
	// copies the user's template (which is that revision) to the slot. It
	// is set only at step 0, whose weight 0 the routes carry before the
	// copy (a slot under weight keeps its template). "" means no change.
	CanaryRevision string
	// Requeue is when to decide again if nothing changes before; 0 means
	// only on the next change.
	Requeue time.Duration
	// Events to record, in order.
	Events []Event
	// ScalePrimary, when above 0, is the replica count the user gave their
	// Deployment while idle: the primary gets it before the status (which
	// scales the user's Deployment back to 0) is persisted.
	ScalePrimary int32
	// RepairPrimary, when set, says how to recreate a primary that was
	// found deleted or scaled to 0 while idle.
	RepairPrimary *PrimaryRepair
}
