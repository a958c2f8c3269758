package controller

import "github.com/meshcanary/meshcanary/pkg/stepper"

// decodeStatus reads a status annotation's value. An empty value is the
// zero Status; an unreadable one is an error.
func decodeStatus(raw string) (stepper.Status, error) {
	s, _, err := stepper.ParseStatus(raw)
	return s, err
}

// encodeStatus renders s as the status annotation value.
func encodeStatus(s stepper.Status) string { return s.Encode() }
