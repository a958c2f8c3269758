package controller

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestTheCanaryKeepsItsPodsForTheScaleDownDelayAfterItsTrafficLeft ends a
// release rejected by the gates and a promoted one: the canary keeps its
// replicas while proxies may still have the route that gives it weight,
// the controller looks again when the delay is over (the workqueue's
// timer), and then scales it down in one write, with no status write: the
// status keeps the release's end until a write that is due anyway. A scale
// the user makes after that is theirs, and goes to the primary.
func TestTheCanaryKeepsItsPodsForTheScaleDownDelayAfterItsTrafficLeft(t *testing.T) {
	target := istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}
	for name, tc := range map[string]struct {
		failFrom int
		want     stepper.Phase
	}{
		"after a rollback":  {failFrom: 1, want: stepper.PhaseFailed},
		"after a promotion": {want: stepper.PhaseSucceeded},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
				config.Prefix + config.KeySteps:           "5,50",
				config.Prefix + config.KeyMaxFailedChecks: "1",
				config.Prefix + config.KeyScaleDownDelay:  "45s",
				"meshcanary.io/gate.webhook.step":         "http://gates.example/step",
			})})
			f.c.gates = stepGates{failFrom: tc.failFrom}
			f.adopt()
			f.setImage("web:v2", "h2")
			st := f.release(func(stepper.Status) {})
			if st.Phase != tc.want {
				t.Fatalf("release ended %s (%s), want %s", st.Phase, st.Message, tc.want)
			}
			if st.TrafficLeftAt == nil || !st.TrafficLeftAt.Equal(f.clock.Now()) {
				t.Errorf("status.trafficLeftAt = %v, want the time weight 0 was seen applied, %v", st.TrafficLeftAt, f.clock.Now())
			}
			if routed, w := istio.ObserveRouting(f.virtualService(), target); !routed || w != 0 {
				t.Fatalf("at the end of the release routed %v with canary weight %d, want 0", routed, w)
			}

			var left time.Duration
			for left < 45*time.Second {
				if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != 3 {
					t.Fatalf("%s after the traffic left, the canary wants %d replicas, want its 3 until the delay is over", left, got)
				}
				requeue := f.reconcile()
				if requeue <= 0 || requeue > 45*time.Second-left {
					t.Fatalf("%s after the traffic left, requeue %s, want at most the %s left of the delay", left, requeue, 45*time.Second-left)
				}
				if len(f.writes()) > 0 {
					t.Errorf("%s after the traffic left, the reconcile wrote %q, want nothing", left, f.writes())
				}
				step := min(requeue, 10*time.Second)
				f.clock.Step(step)
				left += step
			}

			f.reconcile()
			if diff := cmp.Diff([]string{"update deployments"}, f.writes()); diff != "" {
				t.Errorf("writes at the end of the delay: the scale-down alone (-want +got):\n%s", diff)
			}
			if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != 0 {
				t.Errorf("after the delay the canary wants %d replicas, want 0", got)
			}
			if end := f.status(); end.Phase != tc.want || !end.TrafficLeftAt.Equal(*st.TrafficLeftAt) {
				t.Errorf("after the delay: phase %s, trafficLeftAt %v; want %s, the status unchanged", end.Phase, end.TrafficLeftAt, tc.want)
			}
			if got := ptr.Deref(f.deployment("web-primary").Spec.Replicas, 1); got != 3 {
				t.Errorf("the primary wants %d replicas, want its 3: the canary's replicas are not a user's scale", got)
			}
			f.restart() // nothing the decisions below need is kept in memory
			f.reconcile()
			if len(f.writes()) > 0 {
				t.Errorf("the reconcile after the scale-down wrote %q, want nothing", f.writes())
			}

			f.scaleAs("kubectl", 5)
			f.reconcile()
			want := []string{"update deployments", "update deployments", "update virtualservices"}
			if diff := cmp.Diff(want, f.writes()); diff != "" {
				t.Errorf("writes after a user's scale: the primary, the Deployment back to 0, the status (-want +got):\n%s", diff)
			}
			if got := ptr.Deref(f.deployment("web-primary").Spec.Replicas, 1); got != 5 {
				t.Errorf("after the user scaled to 5 the primary wants %d replicas, want 5", got)
			}
			if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != 0 {
				t.Errorf("after the user's scale the Deployment wants %d replicas, want 0", got)
			}
			if end := f.status(); end.TrafficLeftAt != nil || end.PrimaryReplicas != 5 {
				t.Errorf("after the user's scale: trafficLeftAt %v, primaryReplicas %d; want none and 5", end.TrafficLeftAt, end.PrimaryReplicas)
			}
		})
	}
}

// scaleAs plays a scale of the user's Deployment to n by field manager
// manager, which then owns spec.replicas: the fake clientset keeps no
// managedFields, so a GET of the Deployment answers with that entry.
func (f *fixture) scaleAs(manager string, n int32) {
	f.t.Helper()
	d := f.deployment("web")
	d.Spec.Replicas = &n
	d.Generation++
	if _, err := f.kube.AppsV1().Deployments("ns").Update(context.Background(), d, metav1.UpdateOptions{FieldManager: manager}); err != nil {
		f.t.Fatal(err)
	}
	f.kube.PrependReactor("get", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.(k8stesting.GetAction).GetName() != "web" {
			return false, nil, nil
		}
		obj, err := f.kube.Tracker().Get(appsv1.SchemeGroupVersion.WithResource("deployments"), "ns", "web")
		if err != nil {
			return true, nil, err
		}
		d := obj.(*appsv1.Deployment).DeepCopy()
		d.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate,
			FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:spec":{"f:replicas":{}}}`)}}
		return true, d, nil
	})
}

func TestReplicasOwnedByOthersReadsTheManagedFields(t *testing.T) {
	entry := func(manager, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields)}
	}
	replicas, labels := `{"f:spec":{"f:replicas":{}}}`, `{"f:metadata":{"f:labels":{}}}`
	cases := map[string]struct {
		managed []metav1.ManagedFieldsEntry
		want    bool
	}{
		"meshcanary set the replicas last":    {[]metav1.ManagedFieldsEntry{entry(config.FieldManager, replicas), entry("kubectl", labels)}, false},
		"kubectl scale set them":              {[]metav1.ManagedFieldsEntry{entry(config.FieldManager, labels), entry("kubectl", replicas)}, true},
		"no managedFields: taken as its own":  {nil, false},
		"an entry that is not JSON is passed": {[]metav1.ManagedFieldsEntry{entry("helm", "{")}, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := replicasOwnedByOthers(tc.managed); got != tc.want {
				t.Errorf("replicasOwnedByOthers = %v, want %v", got, tc.want)
			}
		})
	}
}
