package controller

import (
	"encoding/json"
	"fmt"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// decodeStatus reads the status annotation. A missing annotation is the
// zero Status; an unreadable one is an error.
func decodeStatus(annotations map[string]string) (stepper.Status, error) {
	var s stepper.Status
	raw, ok := annotations[config.StatusAnnotation]
	if !ok || raw == "" {
		return s, nil
	}
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return stepper.Status{}, fmt.Errorf("decoding annotation %s: %w", config.StatusAnnotation, err)
	}
	return s, nil
}

// encodeStatus renders s as the status annotation value.
func encodeStatus(s stepper.Status) string {
	b, err := json.Marshal(s)
	if err != nil {
		// Status holds only plain values; Marshal cannot fail.
		panic(fmt.Sprintf("encoding status: %v", err))
	}
	return string(b)
}
