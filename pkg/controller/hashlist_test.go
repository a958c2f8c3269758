package controller

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// replicaSetLists counts the ReplicaSet LISTs the controller sent so far.
func (f *fixture) replicaSetLists() int {
	n := 0
	for _, a := range f.kube.Actions() {
		if a.GetVerb() == "list" && a.GetResource().Resource == "replicasets" {
			n++
		}
	}
	return n
}

// A LIST of ReplicaSets costs the API server every ReplicaSet of the
// namespace, so it is sent only once the Deployment controller has
// observed the new template (before, the ReplicaSet does not exist), and
// the previous release's canary subset is not taken out of the
// DestinationRule in between (one DestinationRule write per release).
func TestTheReplicaSetsAreListedOnceTheTemplateIsObserved(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:          "50",
		config.Prefix + config.KeyScaleDownDelay: "0s",
	})})
	f.adopt()
	f.setImage("web:v2", "h2")
	if st := f.release(func(stepper.Status) {}); st.Phase != stepper.PhaseSucceeded {
		t.Fatalf("first release: phase = %s (%s)", st.Phase, st.Message)
	}
	if got := istio.CanaryHashOf(f.destinationRule()); got != "h2" {
		t.Fatalf("canary subset after the first release selects %q, want h2", got)
	}

	f.changeImage("web:v3")
	lists := f.replicaSetLists()
	for i := range 3 {
		f.clock.Step(f.reconcile())
		for _, w := range f.writes() {
			if w == "update destinationrules" {
				t.Errorf("reconcile %d before the template is observed wrote the DestinationRule", i)
			}
		}
	}
	if st := f.status(); st.Phase != stepper.PhaseProgressing {
		t.Fatalf("before the template is observed: phase = %s, want Progressing", st.Phase)
	}
	if got := f.replicaSetLists() - lists; got != 0 {
		t.Errorf("ReplicaSet LISTs before the template is observed = %d, want 0", got)
	}
	if got := istio.CanaryHashOf(f.destinationRule()); got != "h2" {
		t.Errorf("before the new hash is known the canary subset selects %q, want the previous h2", got)
	}

	f.observeTemplate("h3")
	f.reconcile()
	if got := f.replicaSetLists() - lists; got != 1 {
		t.Errorf("ReplicaSet LISTs once the template is observed = %d, want 1", got)
	}
	if got := istio.CanaryHashOf(f.destinationRule()); got != "h3" {
		t.Errorf("once the template is observed the canary subset selects %q, want h3", got)
	}
	f.clock.Step(f.reconcile())
	if got := f.replicaSetLists() - lists; got != 1 {
		t.Errorf("ReplicaSet LISTs after the hash is learned = %d, want still 1", got)
	}
}
