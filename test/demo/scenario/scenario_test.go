package scenario

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

func TestConfigIsValid(t *testing.T) {
	annotations := map[string]string{}
	for k, v := range Config() {
		annotations[config.Prefix+k] = v
	}
	if _, problems := config.Parse(App, annotations); len(problems) > 0 {
		t.Fatalf("the scenario's annotations do not parse: %v", problems)
	}
}

func TestReleasesAreAGoodThenABadVersion(t *testing.T) {
	rs := Releases()
	if len(rs) != 2 || !rs[0].Promote || rs[1].Promote {
		t.Fatalf("releases %+v, want a good one to promote then a bad one to roll back", rs)
	}
	if rs[0].ErrorRate != goodErrorRate || rs[1].ErrorRate <= goodErrorRate {
		t.Errorf("error rates %g then %g, want the primary's %g then more", rs[0].ErrorRate, rs[1].ErrorRate, goodErrorRate)
	}
}

func TestApplySetsTheImageAndTheErrorRate(t *testing.T) {
	tpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Image: "web:v1"}}}}
	Release{Image: "web:v3", ErrorRate: 0.2}.Apply(&tpl)
	if got := tpl.Spec.Containers[0].Image; got != "web:v3" {
		t.Errorf("image %q, want web:v3", got)
	}
	if got := tpl.Annotations[meshsim.ErrorRateAnnotation]; got != "0.2" {
		t.Errorf("error-rate annotation %q, want 0.2", got)
	}
}

func TestCheck(t *testing.T) {
	promoted := stepper.Status{Phase: stepper.PhaseSucceeded, Reason: stepper.ReasonPromoted, Message: "revision abc promoted", Step: 3, Steps: 3}
	reverted := stepper.Status{Phase: stepper.PhaseSucceeded, Reason: stepper.ReasonReverted, Message: "back to the stable revision"}
	rolledBack := stepper.Status{Phase: stepper.PhaseFailed, Reason: stepper.ReasonTooManyFailedChecks, Step: 1, Steps: 3,
		Message: "2 failed checks (maximum 2) at step 1/3: error-rate max=5%: canary error rate 20%"}
	good, bad := Release{Kind: "a good version", Promote: true}, Release{Kind: "a bad version"}
	for _, c := range []struct {
		name    string
		release Release
		status  stepper.Status
		wantErr string // "" when the outcome is right
	}{
		{"good promoted", good, promoted, ""},
		{"good rolled back", good, rolledBack, "a good version must be promoted; it was rolled back at step 1/3 (phase Failed, reason TooManyFailedChecks: 2 failed checks"},
		{"good reverted", good, reverted, "a good version must be promoted; it was ended without promotion (phase Succeeded, reason Reverted"},
		{"bad rolled back", bad, rolledBack, ""},
		{"bad promoted", bad, promoted, "a bad version must be rolled back; it was promoted (phase Succeeded, reason Promoted: revision abc promoted)"},
		{"bad reverted", bad, reverted, "a bad version must be rolled back; it was ended without promotion"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.release.Check(c.status)
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("Check: %v, want nil", err)
			case c.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), c.wantErr)):
				t.Errorf("Check: %v, want an error starting %q", err, c.wantErr)
			}
		})
	}
}
