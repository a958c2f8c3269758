package controller

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestAReleaseIsCountedOnceWhenItEnds(t *testing.T) {
	cases := map[string]struct {
		prev, next stepper.Phase
		want       float64
	}{
		"promotion ends a release":                 {stepper.PhasePromoting, stepper.PhaseSucceeded, 1},
		"a rollback ends a release":                {stepper.PhaseRollingBack, stepper.PhaseFailed, 0},
		"leaving a pause into Succeeded is no end": {stepper.PhasePaused, stepper.PhaseSucceeded, 0},
		"adoption is no release":                   {stepper.PhaseInitializing, stepper.PhaseReady, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, []runtime.Object{webService(), webDeployment(nil)})
			s := &snapshot{user: webDeployment(nil), status: stepper.Status{Phase: tc.prev}}
			f.c.record(s, stepper.Status{Phase: tc.next}, stepper.Actions{}, t0, f.c.log)
			if got := testutil.ToFloat64(f.c.metrics.Releases.WithLabelValues("ns", "succeeded")); got != tc.want {
				t.Errorf("releases_total{result=succeeded} = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTheApprovalGaugeIsOneWhileTheReleaseWaits(t *testing.T) {
	since := t0
	cases := map[string]struct {
		next stepper.Status
		want float64
	}{
		"a release awaiting approval sets the gauge": {stepper.Status{Phase: stepper.PhaseProgressing, AwaitingApproval: &since}, 1},
		"a release that goes on clears it":           {stepper.Status{Phase: stepper.PhaseProgressing}, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, []runtime.Object{webService(), webDeployment(nil)})
			s := &snapshot{user: webDeployment(nil), status: stepper.Status{Phase: stepper.PhaseProgressing}}
			f.c.record(s, tc.next, stepper.Actions{}, t0, f.c.log)
			if got := testutil.ToFloat64(f.c.metrics.AwaitingApproval.WithLabelValues("ns", "web")); got != tc.want {
				t.Errorf("canary_awaiting_approval = %v, want %v", got, tc.want)
			}
		})
	}
}
