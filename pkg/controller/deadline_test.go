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
	f.expectTheDeadlineFrom(reported, 9*time.Minute, "9 min after the last progress", "the last progress")
}

// expectTheDeadlineFrom moves the clock on by wait and checks that the
// canary is still Progressing (at names that time in the failure
// message), then moves it to 10 min (the progress deadline the tests set)
// after from and checks that the deadline was exceeded (since names
// from).
func (f *fixture) expectTheDeadlineFrom(from time.Time, wait time.Duration, at, since string) {
	f.t.Helper()
	f.clock.Step(wait)
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing {
		f.t.Fatalf("%s: %s (%s), want Progressing", at, st.Phase, st.Message)
	}
	f.clock.SetTime(from.Add(10 * time.Minute))
	f.reconcile()
	if st := f.status(); st.Reason != stepper.ReasonProgressDeadlineExceeded {
		f.t.Fatalf("10 min after %s: %s %s (%s), want %s", since, st.Phase, st.Reason, st.Message, stepper.ReasonProgressDeadlineExceeded)
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

// TestAScaleUpFromZeroCountsFromTheDeploymentControllersAvailableReport:
// a canary scaled up from zero (scale-down-canary, the default) gets no
// Progressing report at all — the Deployment controller handles the
// scale-up as a scaling event, and the rollout that follows is complete
// already — so the report that it acted on the scale-up is the Available
// condition going False; the deadline counts from it.
func TestAScaleUpFromZeroCountsFromTheDeploymentControllersAvailableReport(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps: "50", config.Prefix + config.KeyProgressDeadline: "10m",
	})})
	f.adopt()
	f.setImage("web:v2", "h2")
	f.reconcile()
	released := f.clock.Now()
	// The Progressing condition is the one of the template's rollout at
	// zero replicas, before the release; the Deployment controller acts on
	// the scale-up 8 min later.
	f.clock.Step(8 * time.Minute)
	acted := f.clock.Now()
	f.setUser(func(d *appsv1.Deployment) {
		d.Status.ObservedGeneration = d.Generation
		d.Status.Conditions = []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable",
			LastUpdateTime: metav1.NewTime(released.Add(-time.Second)), LastTransitionTime: metav1.NewTime(released.Add(-time.Second)),
		}, {
			Type: appsv1.DeploymentAvailable, Status: corev1.ConditionFalse, Reason: "MinimumReplicasUnavailable",
			LastUpdateTime: metav1.NewTime(acted), LastTransitionTime: metav1.NewTime(acted),
		}}
	})
	f.expectTheDeadlineFrom(acted, 5*time.Minute, "13 min after the release, 5 min after the scale-up was acted on", "the scale-up was acted on")
}

// TestThePrimarysWaitInPromotionCountsFromItsLastProgress: a primary that a
// busy Deployment controller rolls out slowly draws no deadline Warning
// while it reports progress, and one once it reported none for the
// deadline.
func TestThePrimarysWaitInPromotionCountsFromItsLastProgress(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps: "50", config.Prefix + config.KeyProgressDeadline: "10m",
	})})
	f.adopt()
	f.setImage("web:v2", "h2")
	for range 20 {
		requeue := f.reconcile()
		if f.status().Phase == stepper.PhasePromoting {
			break
		}
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		f.clock.Step(requeue)
	}
	if st := f.status(); st.Phase != stepper.PhasePromoting {
		t.Fatalf("the release did not reach Promoting: %s (%s)", st.Phase, st.Message)
	}
	promoted := f.clock.Now()
	progressed := promoted.Add(8 * time.Minute)
	primary := f.deployment("web-primary")
	primary.Status.ObservedGeneration, primary.Status.UpdatedReplicas = primary.Generation, 1 // of 3: rolling out
	primary.Status.Conditions = []appsv1.DeploymentCondition{{
		Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated",
		LastUpdateTime: metav1.NewTime(progressed), LastTransitionTime: metav1.NewTime(promoted),
	}}
	if _, err := f.kube.AppsV1().Deployments("ns").UpdateStatus(context.Background(), primary, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.clock.SetTime(promoted.Add(12 * time.Minute))
	f.reconcile()
	if st := f.status(); st.Reason == stepper.ReasonProgressDeadlineExceeded {
		t.Fatalf("12 min after promotion, 4 min after the primary's last progress: %s (%s), want no deadline warning", st.Reason, st.Message)
	}
	f.clock.SetTime(progressed.Add(10 * time.Minute))
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhasePromoting || st.Reason != stepper.ReasonProgressDeadlineExceeded {
		t.Fatalf("10 min after the primary's last progress: %s %s (%s), want Promoting %s", st.Phase, st.Reason, st.Message, stepper.ReasonProgressDeadlineExceeded)
	}
}
