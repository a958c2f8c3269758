package config

// Slot is one of the two Deployments meshcanary owns for a Deployment
// promoted by role swap (PromotionSwap): one runs the primary, the other
// the canary during a release, and a promotion swaps the roles.
type Slot string

// The two slots.
const (
	SlotA Slot = "a"
	SlotB Slot = "b"
)

// SlotLabel marks a slot's Deployment, selector and pods with its Slot; the
// slot's DestinationRule subset selects it.
const SlotLabel = Prefix + "slot"

// Other is the slot that is not s.
func (s Slot) Other() Slot {
	if s == SlotA {
		return SlotB
	}
	return SlotA
}

// Subset is the DestinationRule subset that selects the pods of s.
func (s Slot) Subset() string {
	return "slot-" + string(s)
}

// SlotName is the name of the Deployment of slot s for the Deployment
// named deployment.
func SlotName(deployment string, s Slot) string {
	return deployment + "-slot-" + string(s)
}

// ReleaseAnnotation on the canary's slot records the start of the release
// whose template the slot got in the same write: the status of step 0, as
// JSON, read while the home VirtualService's status is still idle (see
// stepper.Recorded).
const ReleaseAnnotation = Prefix + "release"
