package controller

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// kcmReports plays the Deployment controller updating the user's
// Deployment: its status (the generation observed, replica counts) and,
// with a ReplicaSet created, the revision annotation and the Progressing
// condition naming it.
func (f *fixture) kcmReports(replicas int32, created *appsv1.ReplicaSet) {
	f.t.Helper()
	ctx := context.Background()
	d := f.deployment("web")
	d.Status.ObservedGeneration, d.Status.Replicas = d.Generation, replicas
	if created != nil {
		if _, err := f.kube.AppsV1().ReplicaSets("ns").Create(ctx, created, metav1.CreateOptions{}); err != nil {
			f.t.Fatal(err)
		}
		d.Annotations[deploymentRevisionAnnotation] = "2"
		d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue,
			Reason: "NewReplicaSetCreated", Message: fmt.Sprintf("Created new replica set %q", created.Name)}}
	}
	if _, err := f.kube.AppsV1().Deployments("ns").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// kcmCreatesReplicaSet plays the Deployment controller creating the
// ReplicaSet web-<hash> for the user's Deployment's current template and
// reporting it with no replicas yet (kcmReports).
func (f *fixture) kcmCreatesReplicaSet(hash string) {
	f.t.Helper()
	d := f.deployment("web")
	tpl := d.Spec.Template.DeepCopy()
	tpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	f.kcmReports(0, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-" + hash, Namespace: "ns", Labels: tpl.Labels, OwnerReferences: []metav1.OwnerReference{*ownerRef(d)}},
		Spec:       appsv1.ReplicaSetSpec{Template: *tpl},
	})
}

// A template changed while the Deployment scales (the canary's old
// ReplicaSet still has pods) is observed by the Deployment controller
// before it creates the new ReplicaSet: it scales first, records the
// generation, and creates the ReplicaSet in a later sync. The LIST that
// finds nothing is not repeated at each of its status updates meanwhile,
// only once it reports the new ReplicaSet.
func TestAReplicaSetListThatFoundNothingWaitsForTheDeploymentControllersNextReport(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:          "50",
		config.Prefix + config.KeyScaleDownDelay: "0s",
	})})
	f.adopt()
	f.changeImage("web:v2")
	lists := f.replicaSetLists()
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing {
		t.Fatalf("after the image change: phase = %s, want Progressing", st.Phase)
	}
	subset := istio.CanaryHashOf(f.destinationRule())

	for _, replicas := range []int32{3, 2, 1, 0} { // the old ReplicaSet scales down
		f.kcmReports(replicas, nil)
		f.reconcile()
		for _, w := range f.writes() {
			if w == "update destinationrules" {
				t.Errorf("with %d old replicas, no new ReplicaSet: the DestinationRule was written", replicas)
			}
		}
	}
	if got := f.replicaSetLists() - lists; got != 1 {
		t.Errorf("ReplicaSet LISTs while the Deployment controller reports no new ReplicaSet = %d, want 1", got)
	}
	if got := istio.CanaryHashOf(f.destinationRule()); got != subset {
		t.Errorf("before the new ReplicaSet exists the canary subset selects %q, want it as it was (%q)", got, subset)
	}

	f.kcmCreatesReplicaSet("h2")
	f.reconcile()
	if got := f.replicaSetLists() - lists; got != 2 {
		t.Errorf("ReplicaSet LISTs once the new ReplicaSet is reported = %d, want 2", got)
	}
	if got := istio.CanaryHashOf(f.destinationRule()); got != "h2" {
		t.Errorf("once the new ReplicaSet is reported the canary subset selects %q, want h2", got)
	}
}
