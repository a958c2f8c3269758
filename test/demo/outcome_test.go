package main

import (
	"strings"
	"testing"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/demo/scenario"
)

func TestOutcomeErr(t *testing.T) {
	good, bad := scenario.Releases()[0], scenario.Releases()[1]
	promoted := stepper.Status{Phase: stepper.PhaseSucceeded, Reason: stepper.ReasonPromoted}
	failed := stepper.Status{Phase: stepper.PhaseFailed, Reason: stepper.ReasonTooManyFailedChecks, Step: 1, Steps: 3}
	for _, c := range []struct {
		name    string
		o       outcome
		wantErr string // "" when the outcome is right
	}{
		{"good promoted", outcome{good, promoted, "web:v1", good.Image}, ""},
		{"good promoted, primary not updated", outcome{good, promoted, "web:v1", "web:v1"}, "but the primary runs web:v1, not " + good.Image},
		{"good rolled back", outcome{good, failed, "web:v1", "web:v1"}, "must be promoted; it was rolled back at step 1/3"},
		{"bad rolled back", outcome{bad, failed, good.Image, good.Image}, ""},
		{"bad rolled back, primary changed", outcome{bad, failed, good.Image, bad.Image}, "but the primary runs " + bad.Image},
		{"bad promoted", outcome{bad, promoted, good.Image, bad.Image}, "must be rolled back; it was promoted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.o.err()
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("err() = %v, want nil", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Errorf("err() = %v, want an error containing %q", err, c.wantErr)
			}
		})
	}
}

func TestReportFailsWhenAnyReleaseIsWrong(t *testing.T) {
	good, bad := scenario.Releases()[0], scenario.Releases()[1]
	failed := stepper.Status{Phase: stepper.PhaseFailed, Reason: stepper.ReasonTooManyFailedChecks, Step: 1, Steps: 3}
	right := outcome{bad, failed, good.Image, good.Image}
	wrong := outcome{good, failed, "web:v1", "web:v1"}
	if err := report([]outcome{right}); err != nil {
		t.Errorf("report of a right outcome: %v", err)
	}
	if err := report([]outcome{wrong, right}); err == nil || !strings.HasPrefix(err.Error(), "1 of 2 releases") {
		t.Errorf("report of a wrong and a right outcome: %v, want an error for 1 of 2 releases", err)
	}
}
