package stepper

import "github.com/meshcanary/meshcanary/pkg/config"

// CanaryReplicas returns the replica count the canary's Deployment (the
// user's for a rollout, the canary's slot for a role swap, which has
// neither an HPA nor config.CanaryReplicas) should have after a decision,
// or nil to leave it alone.
//
// An idle canary goes to 0 when scale-down is on. A running canary starts
// at the configured count, else the primary's (the persisted count while
// the primary is missing), at once, before its pod-template-hash is known:
// the Deployment controller then takes in the new template and the count
// in one sync rather than two. The canary subset that selects its pods
// follows once the hash is known, and no route names it before it is
// SubsetLead old (make before break). When the user's HPA scales the Deployment, the
// start count is kept within its bounds and, once the canary runs, its
// count is the HPA's: the controller never writes it, so the two do not
// fight over the replicas during a release.
func CanaryReplicas(cfg config.Config, s Status, act Actions, o Observations) *int32 {
	switch act.Canary {
	case ScaleDown:
		if cfg.ScaleDownCanary {
			zero := int32(0)
			return &zero
		}
	case ScaleUp:
		if o.HPA != nil && o.UserReplicas > 0 {
			return nil
		}
		n := startReplicas(cfg, s, o)
		if o.HPA != nil {
			n = o.HPA.clamp(n)
		}
		if n > 0 {
			return &n
		}
	}
	return nil
}

// startReplicas is the count a canary starts with, 0 when none is known.
func startReplicas(cfg config.Config, s Status, o Observations) int32 {
	switch {
	case cfg.CanaryReplicas != nil:
		return *cfg.CanaryReplicas
	case o.PrimaryReplicas != nil:
		return *o.PrimaryReplicas
	}
	return s.PrimaryReplicas
}
