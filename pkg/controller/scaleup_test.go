package controller

import (
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// startRelease runs the two reconciles of a release's start: the status,
// then, on the key's next turn in the queue, the canary's scale-up.
func (f *fixture) startRelease() {
	f.t.Helper()
	f.reconcile()
	f.reconcile()
}

// The release's start is persisted alone, and the canary is scaled up on
// the key's next turn in the queue, before the Deployment controller has
// observed the new template: it then takes in the template and the count
// in one sync, not two. When it is far behind (tens of seconds with
// hundreds of canaries released at once), a second trip through its queue
// would be paid by every canary's start; and with hundreds of starts at
// once, every start is persisted before any scale-up competes with it for
// the API server.
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
	requeue := f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing || st.Step != 0 {
		t.Fatalf("after the image change: %s step %d, want Progressing step 0", st.Phase, st.Step)
	}
	if !slices.Equal(f.writes(), []string{"update virtualservices"}) || requeue <= 0 || requeue > time.Millisecond {
		t.Errorf("the release's start: writes %v, next look in %s; want the status alone and the next turn at once", f.writes(), requeue)
	}

	f.reconcile()
	user := f.deployment("web")
	if user.Status.ObservedGeneration >= user.Generation {
		t.Fatalf("the Deployment controller observed generation %d of %d: the test needs it behind", user.Status.ObservedGeneration, user.Generation)
	}
	if n, want := workload.Replicas(user), workload.Replicas(f.deployment("web-primary")); n != want {
		t.Errorf("canary has %d replicas before its template is observed (writes %v), want the primary's %d", n, f.writes(), want)
	}
	if !slices.Equal(f.writes(), []string{"update deployments"}) {
		t.Errorf("the key's next turn: writes %v, want the canary's scale-up alone", f.writes())
	}
}
