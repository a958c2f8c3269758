package stepper

import (
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
)

// Observations is what the controller gathered from its informer caches
// (and, for Verdicts, from the gates) for one decision.
type Observations struct {
	// Revision is the revision of the user's current pod template.
	Revision string
	// CanaryHash is the pod-template-hash of the user's ReplicaSet for
	// Revision, "" when not known yet.
	CanaryHash string
	// CanaryAvailable: the user's Deployment (the canary slot with
	// config.PromotionSwap, at the release's revision) has rolled out
	// Revision and all its desired replicas (at least one) are available.
	CanaryAvailable bool
	// CanaryReplicas is the replica count the canary's Deployment wants
	// (the canary slot's with config.PromotionSwap).
	CanaryReplicas int32
	// CanaryEndpoints is how many of the canary's pods are ready endpoints
	// of the Service in its EndpointSlices: those of the canary's
	// ReplicaSet (the canary slot's with config.PromotionSwap) with
	// conditions.ready true. istiod sends Envoy the endpoints it reads
	// there, so the canary gets no weight (nor mirrored traffic) before
	// all its desired replicas are (see canaryWaits).
	CanaryEndpoints int32
	// CanaryUnobserved: the Deployment controller has not observed the
	// user's Deployment's latest spec yet (status.observedGeneration below
	// metadata.generation), so it has not acted on the canary's scale-up.
	CanaryUnobserved bool
	// CanaryProgressAt is when the Deployment controller last reported
	// progress of the user's Deployment (see workload.LastProgress); zero
	// when none.
	CanaryProgressAt time.Time
	// CanaryTimedOutAt is when the Deployment controller reported the
	// user's Deployment past its own spec.progressDeadlineSeconds
	// (Progressing=False, reason ProgressDeadlineExceeded; see
	// workload.TimedOut); zero when it does not. A report from before the
	// step's start (a retry of a canary that timed out) does not count.
	CanaryTimedOutAt time.Time
	// PrimarySlot is, with config.PromotionSwap, the slot the Primary
	// fields describe: the status's, or before adoption the one adoption
	// makes the primary (slot a when ""; an existing slot when a lost
	// status left them).
	PrimarySlot config.Slot
	// PrimaryExists, PrimaryRevision, PrimaryAvailable describe the primary
	// Deployment: PrimaryAvailable means it rolled out PrimaryRevision and
	// all its replicas (at least one) are available.
	PrimaryExists    bool
	PrimaryRevision  string
	PrimaryAvailable bool
	// PrimaryUnobserved, PrimaryProgressAt and PrimaryTimedOutAt are
	// CanaryUnobserved, CanaryProgressAt and CanaryTimedOutAt for the
	// primary: its wait in adoption and promotion counts the same way.
	PrimaryUnobserved bool
	PrimaryProgressAt time.Time
	PrimaryTimedOutAt time.Time
	// PrimaryReplicas is the replica count the primary wants; nil when
	// there is no primary or the count is not known.
	PrimaryReplicas *int32
	// UserReplicas is the replica count the user's Deployment wants,
	// UserGeneration its metadata.generation.
	UserReplicas   int32
	UserGeneration int64
	// ReplicasByOthers: the last change of the user's Deployment's
	// spec.replicas was made by someone other than meshcanary (a kubectl
	// scale, an apply); read only when [ReplicasOwnerNeeded] says so,
	// false otherwise.
	ReplicasByOthers bool
	// HPA holds the bounds of the user's HorizontalPodAutoscaler; nil when
	// none scales the user's Deployment.
	HPA *ReplicaBounds
	// SubsetsReady: the live DestinationRule has the primary subset and, when
	// CanaryHash is set, the canary subset selecting CanaryHash.
	SubsetsReady bool
	// SubsetAge is how long the subsets SubsetsReady speaks of (the
	// primary's, and the canary's selecting CanaryHash when it is set) have
	// been seen in the DestinationRule (by this controller process): no
	// route names the primary subset at adoption, and the canary gets no
	// weight, before they are SubsetLead old.
	SubsetAge time.Duration
	// Routed: every live VirtualService the release is split in routes
	// the service to the subsets with one canary weight, AppliedWeight (0
	// when not routed).
	Routed        bool
	AppliedWeight int32
	// Lagging names (namespace/name) the VirtualServices the release is
	// split in that disagree with the home one, written with the status,
	// while the home one routes the subsets: they do not, or with another
	// canary weight (see Status.WeightLagSince).
	Lagging []string
	// Command is the meshcanary.io/command annotation value ("" if none).
	Command string
	// Verdicts is the gates' answer for this decision; nil when the gates
	// were not evaluated (see [NeedsEvaluation]).
	Verdicts []gates.Verdict
	// HookAnswers are the answers of the hook calls DueHooks asked for
	// that ended since the last decision; an answer the status no longer
	// waits for (see AwaitsHook) is ignored.
	HookAnswers []HookAnswer
	// HooksCalling are the hooks with a call under way: DueHooks starts no
	// other call of them, and the end of the call, not a timer, brings the
	// next decision.
	HooksCalling []Hook
}
