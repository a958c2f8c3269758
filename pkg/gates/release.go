package gates

import "time"

// Release describes the canary being judged, as the controller sees it at
// one evaluation.
type Release struct {
	// Namespace of the Deployment.
	Namespace string
	// Deployment is the user's Deployment, which is the canary workload.
	Deployment string
	// Primary is the primary Deployment, the baseline workload.
	Primary string
	// Service is the Service being split.
	Service string
	// Revision identifies the pod template under release.
	Revision string
	// Step is the 1-based step index; CanaryWeight/Total the weight.
	Step         int
	CanaryWeight int32
	Total        int32
	// MoreSteps is true when steps remain after this one, so that a Pass
	// moves the weight on rather than promoting. The relative error-rate
	// gate then passes on evidence that merely does not lean towards a
	// regression, and demands conclusive evidence only before promotion.
	// False (the zero value) is the safe choice: conclusive evidence at
	// every step.
	MoreSteps bool
	// LastCall is true at the last step once it has run one step interval
	// past its bake time: the sequential gates then promote evidence that
	// is still inconclusive but does not lean towards a regression, rather
	// than hold it into max-hold (see sequentialResult).
	LastCall bool
	// StepStart is when the current step began; min-requests counts from
	// it. ReleaseStart is when the release began; the one-sample tests
	// count from it (also after a restart of the controller).
	StepStart    time.Time
	ReleaseStart time.Time
	// Now is the evaluation time (from the controller's injected clock).
	Now time.Time
	// Annotations are the Deployment's annotations, for gates that need
	// per-release values (for example a webhook's metadata).
	Annotations map[string]string
}
