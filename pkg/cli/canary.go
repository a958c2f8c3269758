package cli

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"

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
}

// CanaryList is the JSON and YAML output of a status listing.
type CanaryList struct {
	Items []Canary `json:"items"`
}

// CanaryOf reads the release status of d.
func CanaryOf(d *appsv1.Deployment) Canary {
	c := Canary{Namespace: d.Namespace, Name: d.Name, Created: d.CreationTimestamp.Time}
	s, err := decodeStatus(d.Annotations)
	if err != nil {
		c.StatusError = err.Error()
	}
	c.Status = s
	return c
}

// decodeStatus decodes the status annotation; nil, nil when it is absent.
func decodeStatus(annotations map[string]string) (*stepper.Status, error) {
	s, ok, err := stepper.DecodeStatus(annotations)
	if !ok || err != nil {
		return nil, err
	}
	return &s, nil
}

// optedIn reports whether d carries the opt-in label.
func optedIn(d *appsv1.Deployment) bool {
	return d.Labels[config.EnabledLabel] == config.EnabledValue
}
