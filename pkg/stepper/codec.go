package stepper

import (
	"encoding/json"
	"fmt"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// DecodeStatus reads the status annotation from the annotations of the
// object that holds it (the VirtualService meshcanary routes for the
// Deployment; the Deployment itself for older versions). ok is false when
// the annotation is absent or empty; an annotation that is not a status is
// an error.
func DecodeStatus(annotations map[string]string) (s Status, ok bool, err error) {
	return ParseStatus(annotations[config.StatusAnnotation])
}

// ParseStatus reads a status annotation's value, as DecodeStatus.
func ParseStatus(raw string) (s Status, ok bool, err error) {
	if raw == "" {
		return Status{}, false, nil
	}
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return Status{}, false, fmt.Errorf("annotation %s is not a meshcanary status: %w", config.StatusAnnotation, err)
	}
	return s, true, nil
}

// Encode renders s as the value of the status annotation.
func (s Status) Encode() string {
	b, err := json.Marshal(s)
	if err != nil {
		// Status holds only plain values; Marshal cannot fail.
		panic(fmt.Sprintf("encoding status: %v", err))
	}
	return string(b)
}
