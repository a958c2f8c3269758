package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestARoleSwapStartIsRecordedOnTheCanarySlotAndSurvivesARestart starts a
// release promoted by role swap: its start is the one write that gives the
// canary's slot the template, with the status of step 0 in its release
// record, and the home VirtualService is not written. A controller started
// afresh after that write resumes step 0 from the record (same release
// start, no write, no second start), and step 1 writes the first weight
// with the release's status to the home.
func TestARoleSwapStartIsRecordedOnTheCanarySlotAndSurvivesARestart(t *testing.T) {
	f, names := swapFixture(t)
	f.clock.Step(time.Second)
	f.changeImage("web:v2")
	*names = nil
	f.reconcile()
	if got, want := f.writes(), []string{"create deployments"}; !slices.Equal(got, want) {
		t.Fatalf("the start wrote %v, want %v (the canary's slot only)", got, want)
	}
	if home, _, _ := stepper.DecodeStatus(f.virtualService().Annotations); home.Phase != stepper.PhaseReady {
		t.Errorf("home status %s after the start, want Ready (not written)", home.Phase)
	}
	record := f.deployment("web-slot-b").Annotations[config.ReleaseAnnotation]
	started, _, err := stepper.ParseStatus(record)
	if err != nil || started.Phase != stepper.PhaseProgressing || started.Step != 0 || started.Revision != workloadRevisionOf(f) {
		t.Fatalf("release record %q (%v), want Progressing at step 0 of %s", record, err, workloadRevisionOf(f))
	}

	f.restart()
	f.clock.Step(time.Second)
	f.reconcile()
	if got := f.writes(); len(got) != 0 {
		t.Errorf("a restarted controller wrote %v at step 0, want nothing (the start is recorded)", got)
	}
	if st := f.status(); st.Phase != stepper.PhaseProgressing || !st.ReleaseStart.Equal(*started.ReleaseStart) {
		t.Errorf("after the restart: %s, release start %v; want Progressing since %v", st.Phase, st.ReleaseStart, started.ReleaseStart)
	}

	f.markAvailable("web-slot-b")
	for range 10 {
		f.clock.Step(f.reconcile())
		if slices.Contains(f.writes(), "update virtualservices") {
			break
		}
	}
	home, _, _ := stepper.DecodeStatus(f.virtualService().Annotations)
	if home.Phase != stepper.PhaseProgressing || home.Step != 1 || !home.ReleaseStart.Equal(*started.ReleaseStart) {
		t.Errorf("home status after the first weight: %s step %d since %v; want Progressing step 1 since %v",
			home.Phase, home.Step, home.ReleaseStart, started.ReleaseStart)
	}
}

// TestARoleSwapAbortedAtStep0LeavesTheRecordBehind aborts a release
// promoted by role swap before its first weight, while its start is only
// recorded on the canary's slot: the rollback is written to the home
// (Failed, newer than the record), the canary's slot is scaled back to 0,
// and the record, left on the slot, is never taken for the status again.
func TestARoleSwapAbortedAtStep0LeavesTheRecordBehind(t *testing.T) {
	f, _ := swapFixture(t)
	f.clock.Step(time.Second)
	f.changeImage("web:v2")
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing || st.Step != 0 {
		t.Fatalf("after the start: %s step %d, want Progressing at step 0", st.Phase, st.Step)
	}

	d := f.deployment("web")
	d.Annotations[config.CommandAnnotation] = "abort/1"
	if _, err := f.kube.AppsV1().Deployments("ns").Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		f.clock.Step(time.Second + f.reconcile())
	}
	home, _, _ := stepper.DecodeStatus(f.virtualService().Annotations)
	if home.Phase != stepper.PhaseFailed || home.CommandAck != "abort/1" {
		t.Errorf("home status %s (command acknowledged %q), want Failed by abort/1", home.Phase, home.CommandAck)
	}
	if st := f.status(); st.Phase != stepper.PhaseFailed {
		t.Errorf("status read %s, want Failed: the record on the slot is older than the rollback", st.Phase)
	}
	slot := f.deployment("web-slot-b")
	if slot.Annotations[config.ReleaseAnnotation] == "" {
		t.Errorf("the canary's slot lost its release record; the test wants to show it is ignored")
	}
	if got := ptr.Deref(slot.Spec.Replicas, -1); got != 0 {
		t.Errorf("the aborted canary's slot at %d replicas, want 0", got)
	}
	f.reconcile()
	if got := f.writes(); len(got) != 0 {
		t.Errorf("idle after the abort, a reconcile wrote %v, want nothing", got)
	}
}
