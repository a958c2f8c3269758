package config

// Label, annotation and value names used on the user's objects and on the
// objects meshcanary creates.
const (
	// Prefix starts every meshcanary annotation key.
	Prefix = "meshcanary.io/"

	// EnabledLabel opts a Deployment in when it has the value EnabledValue.
	// The controller's Deployment informer is filtered by this label.
	EnabledLabel = Prefix + "canary"
	// EnabledValue is the value of EnabledLabel that opts a Deployment in.
	EnabledValue = "enabled"

	// StatusAnnotation holds the JSON release status on the user's Deployment.
	StatusAnnotation = Prefix + "status"
	// CommandAnnotation carries an operator command: "<verb>" or
	// "<verb>/<nonce>", verb one of promote, abort, retry, pause, resume.
	// A command is acted on once; the status records the value it acknowledged.
	CommandAnnotation = Prefix + "command"

	// RoleLabel marks the pods and Deployment of the primary copy.
	RoleLabel = Prefix + "role"
	// RolePrimary is the value of RoleLabel on the primary.
	RolePrimary = "primary"
	// PrimaryOfLabel on a primary Deployment (and HPA twin) names the user's
	// Deployment it belongs to; the primary informer is filtered by it.
	PrimaryOfLabel = Prefix + "primary-of"
	// RevisionAnnotation on the primary Deployment records the revision
	// (template hash, see package workload) it runs.
	RevisionAnnotation = Prefix + "revision"
	// ManagedByLabel marks objects meshcanary created and owns.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel on owned objects.
	ManagedByValue = "meshcanary"
	// RoutesForAnnotation on a VirtualService or DestinationRule names the
	// Deployment whose subsets or routes meshcanary manages in it: its name
	// on an object in the Deployment's namespace, namespace/name on one in
	// another namespace.
	RoutesForAnnotation = Prefix + "routes-for"

	// SubsetPrimary and SubsetCanary are the DestinationRule subset names.
	SubsetPrimary = "primary"
	SubsetCanary  = "canary"

	// FieldManager is the field manager of every write.
	FieldManager = "meshcanary"
)

// Annotation keys of the configuration, without Prefix.
const (
	KeyService          = "service"
	KeySteps            = "steps"
	KeyStepInterval     = "step-interval"
	KeyCheckInterval    = "check-interval"
	KeyVirtualService   = "virtual-service"
	KeyVirtualServices  = "virtual-services"
	KeyGateways         = "gateways"
	KeyHosts            = "hosts"
	KeyMaxFailedChecks  = "max-failed-checks"
	KeyProgressDeadline = "progress-deadline"
	KeyScaleDownCanary  = "scale-down-canary"
	KeyPaused           = "paused"
	KeyPrimaryName      = "primary-name"
	KeyCanaryReplicas   = "canary-replicas"
	KeyMaxHold          = "max-hold"
	KeyApproval         = "approval"
	KeyScaleDownDelay   = "scale-down-delay"
	KeyPromotion        = "promotion"
	// Release hooks (see Hooks).
	KeyHookPreRelease    = "hook-pre-release"
	KeyHookPostPromotion = "hook-post-promotion"
	KeyHookPostRollback  = "hook-post-rollback"
	KeyHookTimeout       = "hook-timeout"
	KeyHookRetries       = "hook-retries"
)
