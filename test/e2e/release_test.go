//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestAdoptionAndAGoodReleaseWalksEveryStep opts a live service in, then
// releases a new image: every step's weights are written exactly and the
// traffic the simulator routed under them matches, and the primary ends on
// the new template.
func TestAdoptionAndAGoodReleaseWalksEveryStep(t *testing.T) {
	t.Parallel()
	a := newApp(t, "adoption").Steps("10,30,60").StepInterval("10s").Rate(50).Create()

	primary := a.deployment(primaryName)
	if err := availableErr(primary); err != nil {
		t.Fatalf("after adoption the primary is not available: %v", err)
	}
	if got := primary.Spec.Template.Spec.Containers[0].Image; got != imageV1 {
		t.Errorf("primary image after adoption = %q, want %q", got, imageV1)
	}
	if got := primary.Annotations[config.RevisionAnnotation]; got != a.Revision {
		t.Errorf("primary revision after adoption = %q, want the user's %q", got, a.Revision)
	}
	if got := primary.Spec.Template.Labels[config.RoleLabel]; got != config.RolePrimary {
		t.Errorf("primary pods' label %s = %q, want %q", config.RoleLabel, got, config.RolePrimary)
	}
	a.eventually("the user's Deployment to be idled after adoption", func() error { return a.replicasErr(0) })
	adopted := routeStates(a.rec.vsHistory(appName), 0)
	if got := routes(adopted); len(got) != 1 || got[0] != "primary" {
		t.Fatalf("routes of the VirtualService after adoption %q, want the primary alone", got)
	}
	// The release starts once the adopted route has had enough traffic to
	// be judged on its own, guards cut (see stretchTraffic): how soon the
	// canary is ready after the image changes is not this stretch's length.
	a.eventually("enough traffic under the adopted route, all to the primary", func() error {
		return shareError(a.stretchTraffic(routeState{Route: adopted[0].Route, Start: adopted[0].Start, End: time.Now()}), appName, 0)
	})

	rev := a.SetImage("example.com/web:v2")
	final := a.waitPhase(rev, stepper.PhaseSucceeded)

	wantSteps := []string{"step 1/3 weight 10/100", "step 2/3 weight 30/100", "step 3/3 weight 60/100"}
	if diff := cmp.Diff(wantSteps, a.stepsOf(rev)); diff != "" {
		t.Errorf("steps in the status (-want +got):\n%s", diff)
	}
	states := routeStates(a.rec.vsHistory(appName), 0)
	want := []string{"primary", split(90, 10), split(70, 30), split(40, 60), "primary"}
	if diff := cmp.Diff(want, routes(states)); diff != "" {
		t.Fatalf("routes of the VirtualService, in order (-want +got):\n%s", diff)
	}
	// Each stretch is measured strictly inside it (see switchGuard); the
	// last one, at rest, until it has enough requests.
	shares := []float64{0, 0.10, 0.30, 0.60, 0}
	for i, s := range states {
		traffic := a.stretchTraffic(s)
		if i == len(states)-1 {
			traffic = a.trafficSince(s.Start)
		}
		if err := shareError(traffic, appName, shares[i]); err != nil {
			t.Errorf("canary share while the route was %q: %v", s.Route, err)
		}
		t.Logf("route %-22q canary answered %4d of %4d requests (%.3f, weight %.2f)",
			s.Route, traffic.Workloads[appName], traffic.Requests, traffic.Share(appName), shares[i])
	}

	primary = a.deployment(primaryName)
	if got := primary.Spec.Template.Spec.Containers[0].Image; got != "example.com/web:v2" {
		t.Errorf("primary image after the release = %q, want example.com/web:v2", got)
	}
	if got := primary.Annotations[config.RevisionAnnotation]; got != rev || final.StableRevision != rev {
		t.Errorf("after the release the primary runs revision %q and the status says stable %q, want %q", got, final.StableRevision, rev)
	}
	a.eventually("the user's Deployment to be idled after the release", func() error { return a.replicasErr(0) })
}

// TestFractionalStepsAreWrittenExactly releases in steps of 0.01 % and
// 0.5 %: the weights are integers out of 10000, and Istio's validation
// (which rejects a bad weight on the same object) accepts them.
func TestFractionalStepsAreWrittenExactly(t *testing.T) {
	t.Parallel()
	a := newApp(t, "fractional").Steps("0.01,0.5").StepInterval("6s").Create()
	rev := a.SetImage("example.com/web:v2")
	a.waitStep(rev, 1)

	a.eventually("the 0.01 % weights in the VirtualService", func() error {
		vs := a.virtualService(appName)
		if got := describeRoute(vs.Spec.Http[0].Route); got != split(9999, 1) {
			return fmt.Errorf("route %q, want %q", got, split(9999, 1))
		}
		bad := vs.DeepCopy()
		bad.Spec.Http[0].Route[1].Weight = -1
		_, err := env.istio.NetworkingV1().VirtualServices(a.ns).Update(t.Context(), bad, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil || !strings.Contains(err.Error(), "denied the request") {
			return errors.New("Istio's validation must reject a negative weight on this VirtualService; the write was not rejected: " + fmt.Sprint(err))
		}
		return nil
	})
	a.waitPhase(rev, stepper.PhaseSucceeded)

	want := []string{"step 1/2 weight 1/10000", "step 2/2 weight 50/10000"}
	if diff := cmp.Diff(want, a.stepsOf(rev)); diff != "" {
		t.Errorf("steps in the status (-want +got):\n%s", diff)
	}
	wantRoutes := []string{"primary", split(9999, 1), split(9950, 50), "primary"}
	if diff := cmp.Diff(wantRoutes, routes(routeStates(a.rec.vsHistory(appName), 0))); diff != "" {
		t.Errorf("routes of the VirtualService, in order (-want +got):\n%s", diff)
	}
}

// stepsOf lists the distinct steps the status showed for revision rev while
// progressing, as "step i/n weight w/total".
func (a *app) stepsOf(rev string) []string {
	var out []string
	for _, v := range a.rec.statusHistory() {
		s := v.Status
		if s.Revision != rev || s.Phase != stepper.PhaseProgressing || s.Step == 0 {
			continue
		}
		step := fmt.Sprintf("step %d/%d weight %d/%d", s.Step, s.Steps, s.Weight, s.Total)
		if len(out) == 0 || out[len(out)-1] != step {
			out = append(out, step)
		}
	}
	return out
}

// replicasErr says why the user's Deployment does not want n replicas.
func (a *app) replicasErr(n int32) error {
	d := a.deployment(appName)
	if got := ptr.Deref(d.Spec.Replicas, 1); got != n {
		return fmt.Errorf("the user's Deployment wants %d replicas, want %d", got, n)
	}
	return nil
}
