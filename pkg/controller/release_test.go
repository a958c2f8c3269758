package controller

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// adopt runs the adoption of ns/web to the Ready phase.
func (f *fixture) adopt() {
	f.t.Helper()
	f.reconcile()
	f.markAvailable("web-primary")
	// The first route waits for the primary subset to be
	// stepper.SubsetLead old; the reconcile says when to look again.
	for range 4 {
		f.clock.Step(f.reconcile())
	}
	if got := f.status().Phase; got != stepper.PhaseReady {
		f.t.Fatalf("after adoption phase = %s", got)
	}
}

// setImage changes the user's pod template and plays the Deployment
// controller's part: the new generation observed, a new ReplicaSet with
// pod-template-hash hash.
func (f *fixture) setImage(image, hash string) {
	f.t.Helper()
	f.changeImage(image)
	f.observeTemplate(hash)
}

// changeImage changes the user's pod template, which the Deployment
// controller has not observed yet.
func (f *fixture) changeImage(image string) {
	f.t.Helper()
	d := f.deployment("web")
	d.Spec.Template.Spec.Containers[0].Image = image
	d.Generation++
	if _, err := f.kube.AppsV1().Deployments("ns").Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// observeTemplate plays the Deployment controller observing the user's
// template: a new ReplicaSet with pod-template-hash hash, then the
// generation observed; the pods it reports available are listed as the
// ReplicaSet's endpoints.
func (f *fixture) observeTemplate(hash string) {
	f.t.Helper()
	ctx := context.Background()
	d := f.deployment("web")
	d.Status.ObservedGeneration = d.Generation
	if _, err := f.kube.AppsV1().Deployments("ns").UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	tpl := d.Spec.Template.DeepCopy()
	tpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-" + hash, Namespace: "ns",
			Labels:          tpl.Labels,
			OwnerReferences: []metav1.OwnerReference{*ownerRef(d)},
		},
		Spec: appsv1.ReplicaSetSpec{Template: *tpl},
	}
	if _, err := f.kube.AppsV1().ReplicaSets("ns").Create(ctx, rs, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	// The fixture's Deployment status is a shortcut: pods it reports
	// available are the ReplicaSet's, so the EndpointSlice controller
	// lists them under its name.
	if d.Status.AvailableReplicas > 0 {
		f.publishEndpoints("web")
	}
}

func TestANewRevisionWalksEveryStepWithExactWeightsAndIsPromoted(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:          "0.5,5,50",
		config.Prefix + config.KeyScaleDownDelay: "0s",
	})})
	f.adopt()
	f.setImage("web:v2", "h2")

	var weights []int32
	writes := 0
	for i := 0; i < 40; i++ {
		requeue := f.reconcile()
		writes += len(f.writes())
		st := f.status()
		if _, w := istio.ObserveRouting(f.virtualService(), istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}); st.Phase == stepper.PhaseSucceeded {
			weights = append(weights, w) // Succeeded is written with the weight 0
			f.clock.Step(requeue)
			f.reconcile() // the scale-down, once the route without the canary is seen
			writes += len(f.writes())
			break
		}
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		if p := f.deployment("web-primary"); p.Status.ObservedGeneration < p.Generation || p.Annotations[config.RevisionAnnotation] != f.status().StableRevision {
			f.markAvailable("web-primary")
		}
		f.refresh()
		if _, w := istio.ObserveRouting(f.virtualService(), istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}); len(weights) == 0 || weights[len(weights)-1] != w {
			weights = append(weights, w)
		}
		f.clock.Step(requeue)
	}
	st := f.status()
	if st.Phase != stepper.PhaseSucceeded {
		t.Fatalf("phase = %s (%s), want Succeeded", st.Phase, st.Message)
	}
	if diff := cmp.Diff([]int32{0, 5, 50, 500, 0}, weights); diff != "" {
		t.Errorf("canary weights out of 1000 (-want +got):\n%s", diff)
	}
	primary := f.deployment("web-primary")
	if got := primary.Spec.Template.Spec.Containers[0].Image; got != "web:v2" {
		t.Errorf("primary image = %s, want web:v2", got)
	}
	if got := ptr.Deref(f.deployment("web").Spec.Replicas, -1); got != 0 {
		t.Errorf("canary replicas after promotion = %d, want 0", got)
	}
	t.Logf("API writes for a 3-step release: %d", writes)
}

// release walks the pending release of ns/web to its end, playing the
// Deployment controller, and calls each for the VirtualService after every
// reconcile.
func (f *fixture) release(each func(st stepper.Status)) stepper.Status {
	f.t.Helper()
	for i := 0; i < 40; i++ {
		requeue := f.reconcile()
		st := f.status()
		each(st)
		if st.Phase == stepper.PhaseSucceeded || st.Phase == stepper.PhaseFailed {
			return st
		}
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		if p := f.deployment("web-primary"); p.Annotations[config.RevisionAnnotation] != f.status().StableRevision {
			f.markAvailable("web-primary")
		}
		f.clock.Step(requeue)
	}
	f.t.Fatal("the release did not end")
	return stepper.Status{}
}

func TestAnABReleaseRoutesMatchingRequestsToTheCanaryOnlyWhileStepping(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:          "5,50",
		"meshcanary.io/strategy.header.x-canary": "exact:insider",
	})})
	f.adopt()
	f.setImage("web:v2", "h2")

	sawMatchRoute := false
	st := f.release(func(st stepper.Status) {
		f.refresh()
		vs := f.virtualService()
		managed := 0
		for _, r := range vs.Spec.Http {
			if strings.HasPrefix(r.Name, istio.ManagedRoutePrefix) {
				managed++
				if len(r.Route) != 1 || r.Route[0].Destination.Subset != config.SubsetCanary {
					t.Errorf("managed route %s does not send to the canary only: %v", r.Name, r.Route)
				}
			}
		}
		dr, _ := f.istio.NetworkingV1().DestinationRules("ns").Get(context.Background(), "web", metav1.GetOptions{})
		if istio.ReferencedSubsets(vs, istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}).Has(config.SubsetCanary) &&
			istio.CanaryHashOf(dr) == "" {
			t.Errorf("a route names the canary subset but the DestinationRule lacks it (phase %s step %d)", st.Phase, st.Step)
		}
		stepping := st.Phase == stepper.PhaseProgressing && st.Step >= 1
		if stepping && managed == 0 {
			t.Errorf("step %d has no A/B route", st.Step)
		}
		if st.Phase == stepper.PhaseSucceeded && managed != 0 {
			t.Errorf("the A/B route outlived the release")
		}
		sawMatchRoute = sawMatchRoute || managed > 0
	})
	if st.Phase != stepper.PhaseSucceeded || !sawMatchRoute {
		t.Fatalf("phase %s, saw a match route: %v", st.Phase, sawMatchRoute)
	}
}
