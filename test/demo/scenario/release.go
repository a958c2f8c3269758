package scenario

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// Release is one release of the demo: a new image whose pods fail a share
// of their requests, and the outcome a correct judge reaches.
type Release struct {
	// Kind says what the version is, such as "a good version".
	Kind  string
	Image string
	// ErrorRate is the share of requests the new pods fail, in [0, 1].
	ErrorRate float64
	// Promote is true when the release must be promoted, false when it
	// must be rolled back.
	Promote bool
}

// Releases returns the demo's releases in order: a good version with the
// primary's error rate, which must be promoted, then a bad one failing 20 %
// of its requests, which must be rolled back.
func Releases() []Release {
	return []Release{
		{Kind: "a good version", Image: "web:v2", ErrorRate: goodErrorRate, Promote: true},
		{Kind: "a bad version", Image: "web:v3", ErrorRate: 0.2},
	}
}

// String describes the release, such as "a bad version (image web:v3, 20 %
// of requests fail)".
func (r Release) String() string {
	return fmt.Sprintf("%s (image %s, %g %% of requests fail)", r.Kind, r.Image, 100*r.ErrorRate)
}

// Apply changes a pod template the way `kubectl set image` and an edit of
// the simulator's error-rate annotation would.
func (r Release) Apply(tpl *corev1.PodTemplateSpec) {
	tpl.Spec.Containers[0].Image = r.Image
	if tpl.Annotations == nil {
		tpl.Annotations = map[string]string{}
	}
	tpl.Annotations[meshsim.ErrorRateAnnotation] = formatRate(r.ErrorRate)
}

// Check returns an error when the ended release's status st does not show
// the wanted outcome; the error says what was observed.
func (r Release) Check(st stepper.Status) error {
	switch {
	case r.Promote && !promoted(st):
		return fmt.Errorf("%s must be promoted; it was %s", r.Kind, Outcome(st))
	case !r.Promote && !rolledBack(st):
		return fmt.Errorf("%s must be rolled back; it was %s", r.Kind, Outcome(st))
	}
	return nil
}

// Outcome says in words how the release whose final status is st ended,
// such as "rolled back at step 1/3", with the phase, the reason and the
// controller's message, which names the failing gates and their values.
func Outcome(st stepper.Status) string {
	what := "still " + string(st.Phase)
	switch {
	case promoted(st):
		what = "promoted"
	case rolledBack(st):
		what = fmt.Sprintf("rolled back at step %d/%d", st.Step, st.Steps)
	case st.Phase == stepper.PhaseSucceeded:
		what = "ended without promotion"
	}
	return fmt.Sprintf("%s (phase %s, reason %s: %s)", what, st.Phase, st.Reason, st.Message)
}

// promoted reports whether st ends a release by promoting it.
func promoted(st stepper.Status) bool {
	return st.Phase == stepper.PhaseSucceeded && st.Reason == stepper.ReasonPromoted
}

// rolledBack reports whether st ends a release by rolling it back.
func rolledBack(st stepper.Status) bool { return st.Phase == stepper.PhaseFailed }
