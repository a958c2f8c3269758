package controller

import "github.com/meshcanary/meshcanary/pkg/stepper"

// decodeStatus reads the status annotation. A missing annotation is the
// zero Status; an unreadable one is an error.
func decodeStatus(annotations map[string]string) (stepper.Status, error) {
	s, _, err := stepper.DecodeStatus(annotations)
	return s, err
}

// encodeStatus renders s as the status annotation value.
func encodeStatus(s stepper.Status) string { return s.Encode() }
