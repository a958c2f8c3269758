package controller

import (
	"context"
	"slices"
	"testing"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// TestTheCanarySubsetIsWrittenWellBeforeAnyRouteNamesIt releases a canary
// whose pods are Ready at once, before its hash is known (the fastest a
// cluster can be): the first
// weight comes in a later reconcile than the canary subset, at least
// stepper.SubsetLead after the subset was first seen, so that istiod
// pushes the two apart (make before break) and Envoy never answers 503 NC
// for a cluster whose endpoints have not arrived.
func TestTheCanarySubsetIsWrittenWellBeforeAnyRouteNamesIt(t *testing.T) {
	const istiodDebounce = 100 * time.Millisecond // PILOT_DEBOUNCE_AFTER's default
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps: "5,50",
	})})
	f.adopt()
	// The canary is scaled up before the Deployment controller observes its
	// template, and its pods are Ready before its hash is known: the
	// subset comes last, and the first weight must still wait for it.
	f.changeImage("web:v2")
	f.startRelease()
	if n := workload.Replicas(f.deployment("web")); n == 0 {
		t.Fatalf("the canary was not scaled up at the release's start (writes %q)", f.writes())
	}
	f.markAvailable("web")
	f.observeTemplate("h2")
	target := istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}

	var subsetAt time.Time
	for i := 0; ; i++ {
		if i == 20 {
			t.Fatal("the first step was never routed")
		}
		requeue := f.reconcile()
		writes := f.writes()
		dr := slices.Index(writes, "update destinationrules")
		if dr >= 0 && istio.CanaryHashOf(f.destinationRule()) == "h2" {
			subsetAt = f.clock.Now()
		}
		if _, w := istio.ObserveRouting(f.virtualService(), target); w > 0 {
			if dr >= 0 {
				t.Errorf("the first weight went in the reconcile that wrote the subset: %q", writes)
			}
			if lead := f.clock.Now().Sub(subsetAt); subsetAt.IsZero() || lead < stepper.SubsetLead || lead <= istiodDebounce {
				t.Errorf("the first weight came %s after the canary subset was written, want at least %s, and more than istiod's debounce %s",
					lead, stepper.SubsetLead, istiodDebounce)
			}
			return
		}
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
			continue // its watch event brings the next reconcile at once
		}
		if len(writes) == 0 {
			f.clock.Step(requeue) // nothing happened: the workqueue's timer
		}
	}
}

func (f *fixture) destinationRule() *networkingv1.DestinationRule {
	f.t.Helper()
	dr, err := f.istio.NetworkingV1().DestinationRules("ns").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("get destinationrule: %v", err)
	}
	return dr
}
