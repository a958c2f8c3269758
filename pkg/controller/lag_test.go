package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestAStepWhoseGatewayWriteWasLostBakesFromWhenEveryVirtualServiceCarriesIt(t *testing.T) {
	f := releasingWithGateway(t, map[string]string{
		config.Prefix + config.KeySteps: "20,60", config.Prefix + config.KeyStepInterval: "1m",
	})
	fail := true
	f.failGatewayWrites(&fail)
	// The controller dies at the gateway's write of step 1: the home one
	// carries step 1's weight and the status, the gateway's none.
	var decided time.Time
	for i := 0; i < 20 && decided.IsZero(); i++ {
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		f.refresh()
		_, err := f.c.reconcile(context.Background(), "ns/web")
		if st := f.status(); err != nil && st.Step == 1 {
			decided = *st.StepStart
			break
		}
		f.clock.Step(time.Second)
	}
	if decided.IsZero() {
		t.Fatal("no write of the gateway VirtualService failed at step 1")
	}
	fail = false

	// It is down for 40 s, then the next one writes the gateway's weight.
	f.clock.Step(40 * time.Second)
	f.restart()
	f.reconcile()
	if _, gw := istio.ObserveRouting(f.gatewayVirtualService(), webTarget); gw != 20 {
		t.Fatalf("the restarted controller left the gateway VirtualService at weight %d, want 20", gw)
	}
	if st := f.status(); st.WeightLagSince == nil || !st.WeightLagSince.Equal(f.clock.Now()) {
		t.Fatalf("the status after the gateway's write records the lag since %v, want %v", st.WeightLagSince, f.clock.Now())
	}
	f.clock.Step(time.Second)
	f.reconcile()
	applied := f.clock.Now()
	if st := f.status(); st.WeightLagSince != nil || !st.StepStart.Equal(applied) {
		t.Fatalf("once both VirtualServices carry step 1: step start %v, lag since %v; want %v and none", st.StepStart, st.WeightLagSince, applied)
	}
	if got := f.writes(); len(got) != 1 || got[0] != "update virtualservices" {
		t.Errorf("starting the step again wrote %v, want one status write of the home VirtualService", got)
	}

	// A minute after the decision the step would be over; it bakes a
	// minute from when both carried its weight.
	f.clock.SetTime(decided.Add(time.Minute + time.Second))
	f.reconcile()
	if st := f.status(); st.Step != 1 {
		t.Fatalf("step %d a minute after the decision, %s after both VirtualServices carried step 1; want step 1",
			st.Step, f.clock.Now().Sub(applied))
	}
	f.clock.SetTime(applied.Add(time.Minute))
	for i := 0; i < 3 && f.status().Step == 1; i++ {
		f.reconcile()
	}
	if st := f.status(); st.Step != 2 || st.Phase != stepper.PhaseProgressing {
		t.Fatalf("a minute after both VirtualServices carried step 1: phase %s step %d, want step 2", st.Phase, st.Step)
	}
}

func TestAReconcileWaitsForItsCacheToShowItsGatewayWriteInsteadOfTakingItForALag(t *testing.T) {
	f := releasingWithGateway(t, map[string]string{config.Prefix + config.KeySteps: "20,60"})
	// The API server bumps a VirtualService's generation on every write of
	// its spec (the fake clientset does not).
	f.istio.PrependReactor("update", "virtualservices", func(a k8stesting.Action) (bool, runtime.Object, error) {
		vs := a.(k8stesting.UpdateAction).GetObject().(*networkingv1.VirtualService)
		vs.Generation++
		return false, nil, nil
	})
	for i := 0; i < 20; i++ {
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		before := f.gatewayVirtualService()
		requeue := f.reconcile()
		if f.status().Step == 0 {
			f.clock.Step(requeue)
			continue
		}
		// The cache shows the home VirtualService's write of step 1, not
		// yet the gateway's that followed it.
		f.refresh()
		if err := f.cs.idx.vss.Update(before); err != nil {
			t.Fatal(err)
		}
		f.log = nil
		requeue, err := f.c.reconcile(context.Background(), "ns/web")
		if err != nil || requeue != staleCacheRetry || len(f.writes()) != 0 {
			t.Fatalf("with the gateway's write not in the cache: requeue %s, error %v, writes %v; want %s and nothing written",
				requeue, err, f.writes(), staleCacheRetry)
		}
		f.reconcile()
		if st := f.status(); st.Step != 1 || st.WeightLagSince != nil {
			t.Fatalf("once the cache shows it: step %d, lag since %v; want step 1 without a lag", st.Step, st.WeightLagSince)
		}
		return
	}
	t.Fatal("the release did not reach step 1")
}

// TestAGatewayVirtualServiceRewrittenOverAndOverRollsTheReleaseBack: a
// GitOps sync that keeps putting the gateway VirtualService back as the
// user wrote it takes the step's weight away each time; each time the
// controller warns, naming it, writes the weight again and starts the step
// over, and after stepper.MaxLagRestarts restarts it rolls back instead of
// fighting on.
func TestAGatewayVirtualServiceRewrittenOverAndOverRollsTheReleaseBack(t *testing.T) {
	f := releasingWithGateway(t, map[string]string{
		config.Prefix + config.KeySteps: "20,60", config.Prefix + config.KeyStepInterval: "1m",
	})
	for i := 0; i < 20 && f.status().Step == 0; i++ {
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		f.clock.Step(f.reconcile())
	}
	if st := f.status(); st.Step != 1 {
		t.Fatalf("the release did not reach step 1: %s %s", st.Phase, st.Message)
	}
	f.events()
	rewrite := func() {
		vs := f.gatewayVirtualService()
		vs.Spec = *publicWeb().Spec.DeepCopy()
		if _, err := f.istio.NetworkingV1().VirtualServices("istio-system").Update(context.Background(), vs, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for restart := 1; restart <= stepper.MaxLagRestarts; restart++ {
		f.clock.Step(10 * time.Second)
		rewrite()
		f.reconcile()
		if !hasEvent(f.events(), "Warning "+stepper.ReasonWeightLagging) {
			t.Fatalf("rewrite %d: no %s Warning", restart, stepper.ReasonWeightLagging)
		}
		if st := f.status(); !strings.Contains(st.Message, "istio-system/public-web") {
			t.Errorf("rewrite %d: the status does not name the lagging VirtualService: %s", restart, st.Message)
		}
		f.clock.Step(time.Second)
		f.reconcile()
		st := f.status()
		if st.Step != 1 || st.LagRestarts != restart || !st.StepStart.Equal(f.clock.Now()) {
			t.Fatalf("rewrite %d: step %d, %d restarts, step start %v; want step 1 started over at %v, restart %d",
				restart, st.Step, st.LagRestarts, st.StepStart, f.clock.Now(), restart)
		}
		if !hasEvent(f.events(), "Normal "+stepper.ReasonStepRestarted) {
			t.Fatalf("rewrite %d: no %s Event", restart, stepper.ReasonStepRestarted)
		}
	}
	f.clock.Step(10 * time.Second)
	rewrite()
	f.reconcile()
	st := f.status()
	if st.Phase != stepper.PhaseRollingBack || st.Reason != stepper.ReasonWeightsOverwritten || st.Weight != 0 {
		t.Fatalf("after rewrite %d: %s %s weight %d, want RollingBack %s at weight 0",
			stepper.MaxLagRestarts+1, st.Phase, st.Reason, st.Weight, stepper.ReasonWeightsOverwritten)
	}
	if _, w := istio.ObserveRouting(f.virtualService(), webTarget); w != 0 {
		t.Errorf("the home VirtualService gives the canary weight %d after the rollback, want 0", w)
	}
}
