package controller

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestTheProgressDeadlineCountsFromTheDeploymentControllersLastReport: a
// kube-controller-manager too busy to observe the canary's scale-up for
// longer than the progress deadline does not fail the release; once it
// reports progress, the deadline counts from that report.
func TestTheProgressDeadlineCountsFromTheDeploymentControllersLastReport(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps: "50", config.Prefix + config.KeyProgressDeadline: "10m",
	})})
	f.adopt()
	f.setImage("web:v2", "h2")
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing || st.Step != 0 {
		t.Fatalf("after the new revision: %s step %d, want Progressing step 0", st.Phase, st.Step)
	}
	// The canary was scaled up; the Deployment controller has not
	// observed it yet.
	f.setUser(func(d *appsv1.Deployment) { d.Generation = d.Status.ObservedGeneration + 1 })
	f.clock.Step(15 * time.Minute)
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing {
		t.Fatalf("15 min with the scale-up not observed: %s (%s), want Progressing", st.Phase, st.Message)
	}

	// It observes it and reports progress (a ReplicaSet scaled, pods
	// coming up), but the canary never becomes available.
	reported := f.clock.Now()
	f.setUser(func(d *appsv1.Deployment) {
		d.Status.ObservedGeneration = d.Generation
		d.Status.Conditions = []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated",
			LastUpdateTime: metav1.NewTime(reported), LastTransitionTime: metav1.NewTime(reported),
		}}
	})
	f.clock.Step(9 * time.Minute)
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing {
		t.Fatalf("9 min after the last progress: %s (%s), want Progressing", st.Phase, st.Message)
	}
	f.clock.SetTime(reported.Add(10 * time.Minute))
	f.reconcile()
	if st := f.status(); st.Reason != stepper.ReasonProgressDeadlineExceeded {
		t.Fatalf("10 min after the last progress: %s %s (%s), want %s", st.Phase, st.Reason, st.Message, stepper.ReasonProgressDeadlineExceeded)
	}
}

// setUser changes the user's Deployment as the Deployment controller or
// the API server would.
func (f *fixture) setUser(change func(d *appsv1.Deployment)) {
	f.t.Helper()
	d := f.deployment("web")
	change(d)
	if _, err := f.kube.AppsV1().Deployments("ns").Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}
