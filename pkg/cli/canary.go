package cli

import (
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/meshcanary/meshcanary/pkg/canary"
	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// Canary is one opted-in Deployment as meshcanary status shows it.
type Canary struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
	// Status is the decoded meshcanary.io/status annotation; nil until the
	// controller has written one.
	Status *stepper.Status `json:"status,omitempty"`
	// StatusError says why the annotation could not be decoded.
	StatusError string `json:"statusError,omitempty"`
	// ConfigError lists the problems of the Deployment's meshcanary.io/
	// annotations, read by the CLI itself, while there is no status: the
	// controller records invalid configuration in the status once a
	// VirtualService holds it, and before that only in an Event and its log.
	ConfigError string `json:"configError,omitempty"`
}

// CanaryList is the JSON and YAML output of a status listing.
type CanaryList struct {
	Items []Canary `json:"items"`
}

// CanaryOf reads the release status of d: from the meshcanary.io/status
// annotation of the VirtualService among vss that holds it (StatusHome),
// else from d's own annotation, where older versions of meshcanary kept
// it; for a Deployment promoted by role swap, the start of a release
// recorded on the canary's slot among slots stands for it while it counts
// (see StatusOf). Without a status, the problems of d's annotations are in
// ConfigError.
func CanaryOf(d *appsv1.Deployment, vss []*networkingv1.VirtualService, slots []*appsv1.Deployment) Canary {
	c := Canary{Namespace: d.Namespace, Name: d.Name, Created: d.CreationTimestamp.Time}
	s, err := StatusOf(d, vss, slots)
	if err != nil {
		c.StatusError = err.Error()
	}
	c.Status = s
	if s == nil && err == nil {
		c.ConfigError = configProblems(d)
	}
	return c
}

// StatusOf returns the release status of d, read as CanaryOf does; nil,
// nil when there is none yet. slots are Deployments meshcanary manages
// (labelled config.PrimaryOfLabel), of any namespace; it may be nil for a
// Deployment not promoted by role swap. When the status names a primary
// slot, the canary's slot (the other one) is looked up in slots by
// namespace and name: the release it records in config.ReleaseAnnotation
// (step 0, which the home's status shows only from step 1 on) is the
// status while stepper.Recorded says it counts.
func StatusOf(d *appsv1.Deployment, vss []*networkingv1.VirtualService, slots []*appsv1.Deployment) (*stepper.Status, error) {
	annotations := d.Annotations
	if home := StatusHome(d, vss); home != nil {
		annotations = home.Annotations
	}
	s, ok, err := stepper.DecodeStatus(annotations)
	if !ok || err != nil {
		return nil, err
	}
	if s.PrimarySlot != "" {
		if r, ok := stepper.Recorded(s, releaseRecord(d, s.PrimarySlot.Other(), slots)); ok {
			return &r, nil
		}
	}
	return &s, nil
}

// releaseRecord returns the config.ReleaseAnnotation of the Deployment of
// d's slot among slots; "" when it is not there.
func releaseRecord(d *appsv1.Deployment, slot config.Slot, slots []*appsv1.Deployment) string {
	name := config.SlotName(d.Name, slot)
	for _, s := range slots {
		if s.Namespace == d.Namespace && s.Name == name {
			return s.Annotations[config.ReleaseAnnotation]
		}
	}
	return ""
}

// StatusHome returns the VirtualService among vss that holds the status of
// d: the one of d's namespace marked as routing for d
// (meshcanary.io/routes-for) that has a status annotation; nil when none
// has.
func StatusHome(d *appsv1.Deployment, vss []*networkingv1.VirtualService) *networkingv1.VirtualService {
	for _, vs := range vss {
		if vs.Namespace == d.Namespace && vs.Annotations[config.RoutesForAnnotation] == d.Name &&
			vs.Annotations[config.StatusAnnotation] != "" {
			return vs
		}
	}
	return nil
}

// configProblems lists what the controller would find wrong in d's
// annotations (the checks that need the cluster or the controller's flags,
// such as the Service, the webhook allowlist and the receivers, are left
// to it); "" when nothing.
func configProblems(d *appsv1.Deployment) string {
	_, problems := canary.Parse(d.Name, d.Annotations)
	if len(problems) == 0 {
		return ""
	}
	return problems.Error()
}

// optedIn reports whether d carries the opt-in label.
func optedIn(d *appsv1.Deployment) bool {
	return d.Labels[config.EnabledLabel] == config.EnabledValue
}
