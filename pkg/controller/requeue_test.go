package controller

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// TestTheNextStepIsDueFromTheDecisionNotFromTheEndOfItsWrites: a reconcile
// whose writes take time (an API server under load) asks to look again when
// the step is due, not that long after it.
func TestTheNextStepIsDueFromTheDecisionNotFromTheEndOfItsWrites(t *testing.T) {
	const writeTakes = 300 * time.Millisecond
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:        "10,50",
		config.Prefix + config.KeyStepInterval: "10s",
	})})
	f.adopt()
	f.setImage("web:v2", "h2")
	f.istio.PrependReactor("update", "virtualservices", func(k8stesting.Action) (bool, runtime.Object, error) {
		f.clock.Step(writeTakes)
		return false, nil, nil
	})
	for range 10 {
		requeue := f.reconcile()
		if st := f.status(); st.Step == 1 {
			due := st.StepStart.Add(10 * time.Second)
			if got := f.clock.Now().Add(requeue); !got.Equal(due) {
				t.Fatalf("after step 1's write (%s), the next look is at %s, want %s, when step 1's bake time is over",
					writeTakes, got.Sub(*st.StepStart), due.Sub(*st.StepStart))
			}
			return
		}
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		f.clock.Step(requeue)
	}
	t.Fatalf("the release did not reach step 1: %+v", f.status())
}
