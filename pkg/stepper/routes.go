package stepper

// SplitVirtualService is one VirtualService a release splits, as the
// status lists it when a release routes through more than its home
// VirtualService (a gateway's, a delegate child).
type SplitVirtualService struct {
	// Ref is the VirtualService as namespace/name.
	Ref string `json:"ref"`
	// Kind is its role: "home" (the one holding this status), "mesh",
	// "ingress", "mesh and ingress" or "delegate".
	Kind string `json:"kind"`
	// Weight is the canary weight, out of Status.Total, written to it with
	// this status: every split VirtualService gets the same.
	Weight int32 `json:"weight"`
}
