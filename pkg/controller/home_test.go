package controller

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// asOlderVersion moves the status of ns/web from its VirtualService to
// its Deployment, where versions before the move kept it, and restarts the
// controller as the upgrade does.
func (f *fixture) asOlderVersion() {
	f.t.Helper()
	ctx := context.Background()
	vs := f.virtualService()
	status := vs.Annotations[config.StatusAnnotation]
	delete(vs.Annotations, config.StatusAnnotation)
	if _, err := f.istio.NetworkingV1().VirtualServices("ns").Update(ctx, vs, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	d := f.deployment("web")
	d.Annotations[config.StatusAnnotation] = status
	if _, err := f.kube.AppsV1().Deployments("ns").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
	f.restart()
}

func TestAStatusAnOlderVersionKeptOnTheDeploymentIsMovedToTheVirtualServiceOnce(t *testing.T) {
	cases := map[string]func(f *fixture){
		"idle":        func(*fixture) {},
		"mid-release": func(f *fixture) { f.releaseTo(1) },
	}
	for name, reach := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, []runtime.Object{webService(), gatedWeb()})
			f.adopt()
			reach(f)
			want := f.status()
			f.asOlderVersion()
			if got := f.status(); !cmp.Equal(want, got) {
				t.Fatalf("the status read from the Deployment differs (-want +got):\n%s", cmp.Diff(want, got))
			}

			f.reconcile()
			if diff := cmp.Diff([]string{"update virtualservices", "update deployments"}, f.writes()); diff != "" {
				t.Errorf("writes of the upgrade: the status to the VirtualService, then off the Deployment (-want +got):\n%s", diff)
			}
			if _, ok := f.deployment("web").Annotations[config.StatusAnnotation]; ok {
				t.Error("the Deployment still carries the status")
			}
			if got := f.virtualService().Annotations[config.StatusAnnotation]; got != want.Encode() {
				t.Errorf("the VirtualService's status %s, want the moved one %s", got, want.Encode())
			}
			f.reconcile()
			if w := f.writes(); len(w) != 0 {
				t.Errorf("the reconcile after the upgrade wrote %v", w)
			}
		})
	}
}

// releaseTo releases web:v2 until it is at step.
func (f *fixture) releaseTo(step int) {
	f.t.Helper()
	f.c.gates = stepGates{}
	f.setImage("web:v2", "h2")
	for range 20 {
		requeue := f.reconcile()
		if st := f.status(); st.Phase == stepper.PhaseProgressing && st.Step >= step {
			return
		}
		f.markAvailable("web")
		f.clock.Step(requeue)
	}
	f.t.Fatalf("the release did not reach step %d", step)
}

func TestACanaryHashLearnedAtStep0IsWrittenWithTheFirstStep(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), gatedWeb()})
	f.c.gates = stepGates{}
	f.adopt()
	ctx := context.Background()
	d := f.deployment("web")
	d.Spec.Template.Spec.Containers[0].Image = "web:v2"
	d.Generation++
	d.Status.ObservedGeneration = d.Generation
	if _, err := f.kube.AppsV1().Deployments("ns").Update(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing || st.CanaryHash != "" {
		t.Fatalf("release start: phase %s, canaryHash %q; want Progressing without a hash (no ReplicaSet yet)", st.Phase, st.CanaryHash)
	}
	if diff := cmp.Diff([]string{"update virtualservices"}, f.writes()); diff != "" {
		t.Errorf("writes at the release's start: the status alone (-want +got):\n%s", diff)
	}
	f.reconcile()
	if diff := cmp.Diff([]string{"update deployments"}, f.writes()); diff != "" {
		t.Errorf("writes on the key's next turn: the canary's scale-up (-want +got):\n%s", diff)
	}

	// The Deployment controller creates the canary's ReplicaSet and says so.
	f.kcmCreatesReplicaSet("h2")
	f.reconcile()
	if diff := cmp.Diff([]string{"update destinationrules"}, f.writes()); diff != "" {
		t.Errorf("writes once the hash is known: the subset, no status of its own (-want +got):\n%s", diff)
	}

	f.markAvailable("web")
	f.reconcile()
	f.clock.Step(stepper.SubsetLead)
	f.reconcile()
	if st := f.status(); st.Step != 1 || st.CanaryHash != "h2" {
		t.Errorf("at step %d the status records canaryHash %q, want step 1 with h2", st.Step, st.CanaryHash)
	}
}

func TestAnOptOutRemovesTheStatusFromTheUsersVirtualService(t *testing.T) {
	user := &networkingv1.VirtualService{
		ObjectMeta: metav1.ObjectMeta{Name: "web-routes", Namespace: "ns", Annotations: map[string]string{"team": "a"}},
		Spec: apinetworkingv1.VirtualService{
			Hosts: []string{"web"},
			Http:  []*apinetworkingv1.HTTPRoute{{Route: []*apinetworkingv1.HTTPRouteDestination{{Destination: &apinetworkingv1.Destination{Host: "web"}}}}},
		},
	}
	f := newFixture(t, []runtime.Object{webService(), gatedWeb()}, user)
	f.adopt()
	ctx := context.Background()
	vs, err := f.istio.NetworkingV1().VirtualServices("ns").Get(ctx, "web-routes", metav1.GetOptions{})
	if err != nil || vs.Annotations[config.StatusAnnotation] == "" {
		t.Fatalf("after adoption the user's VirtualService holds no status (%v)", err)
	}

	f.optOut()
	for range 6 {
		f.markAvailable("web")
		f.reconcile()
	}
	vs, err = f.istio.NetworkingV1().VirtualServices("ns").Get(ctx, "web-routes", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the user's VirtualService is gone: %v", err)
	}
	if diff := cmp.Diff(map[string]string{"team": "a"}, vs.Annotations); diff != "" {
		t.Errorf("annotations of the user's VirtualService after the opt-out (-want +got):\n%s", diff)
	}
}
