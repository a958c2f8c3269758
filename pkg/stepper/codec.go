package stepper

import (
	"encoding/json"
	"fmt"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// DecodeStatus reads the status annotation from a Deployment's
// annotations. ok is false when the annotation is absent or empty; an
// annotation that is not a status is an error.
func DecodeStatus(annotations map[string]string) (s Status, ok bool, err error) {
	raw := annotations[config.StatusAnnotation]
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
