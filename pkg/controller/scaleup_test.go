package controller

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// The canary is scaled up in the reconcile that starts the release, before
// the Deployment controller has observed the new template: it then takes
// in the template and the count in one sync, not two. When it is far
// behind (tens of seconds with hundreds of canaries released at once), a
// second trip through its queue would be paid by every canary's start.
func TestTheCanaryIsScaledUpBeforeTheDeploymentControllerObservesTheTemplate(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:          "50",
		config.Prefix + config.KeyScaleDownDelay: "0s",
	})})
	f.adopt()
	if n := workload.Replicas(f.deployment("web")); n != 0 {
		t.Fatalf("idle canary has %d replicas, want 0", n)
	}
	f.changeImage("web:v2")
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing || st.Step != 0 {
		t.Fatalf("after the image change: %s step %d, want Progressing step 0", st.Phase, st.Step)
	}
	user := f.deployment("web")
	if user.Status.ObservedGeneration >= user.Generation {
		t.Fatalf("the Deployment controller observed generation %d of %d: the test needs it behind", user.Status.ObservedGeneration, user.Generation)
	}
	if n, want := workload.Replicas(user), workload.Replicas(f.deployment("web-primary")); n != want {
		t.Errorf("canary has %d replicas before its template is observed (writes %v), want the primary's %d", n, f.writes(), want)
	}
	if !slices.Contains(f.writes(), "update deployments") {
		t.Errorf("writes %v: no update of the user's Deployment", f.writes())
	}
}
