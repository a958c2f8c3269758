package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// gatedWeb is ns/web released in steps 5,50 with one gate; a failing gate
// rejects the release at the first check.
func gatedWeb() *appsv1.Deployment {
	return webDeployment(map[string]string{
		config.Prefix + config.KeySteps:           "5,50",
		config.Prefix + config.KeyMaxFailedChecks: "1",
		config.Prefix + config.KeyScaleDownDelay:  "0s",
		"meshcanary.io/gate.webhook.step":         "http://gates.example/step",
	})
}

// keepReplicaSet plays the Deployment controller for the template the user's
// Deployment has now: its ReplicaSet, kept after the template changes.
func (f *fixture) keepReplicaSet(hash string) {
	f.t.Helper()
	d := f.deployment("web")
	tpl := d.Spec.Template.DeepCopy()
	tpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-" + hash, Namespace: "ns", Labels: tpl.Labels,
			OwnerReferences: []metav1.OwnerReference{*ownerRef(d)}},
		Spec: appsv1.ReplicaSetSpec{Template: *tpl},
	}
	if _, err := f.kube.AppsV1().ReplicaSets("ns").Create(context.Background(), rs, metav1.CreateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// events drains the Events recorded so far.
func (f *fixture) events() []string {
	var out []string
	for {
		select {
		case e := <-f.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// hasEvent reports whether one of events starts with prefix ("Warning Reason").
func hasEvent(events []string, prefix string) bool {
	for _, e := range events {
		if strings.HasPrefix(e, prefix+" ") {
			return true
		}
	}
	return false
}

func (f *fixture) setReplicas(name string, n int32) {
	f.t.Helper()
	d := f.deployment(name)
	d.Spec.Replicas = &n
	d.Generation++
	if _, err := f.kube.AppsV1().Deployments("ns").Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func TestAPrimaryBrokenWhileIdleIsRepairedFromTheStableRevisionAtItsCount(t *testing.T) {
	cases := map[string]struct {
		// failed releases web:v2 and has it rejected first, so the user's
		// template is not the stable one.
		failed bool
		break_ func(f *fixture)
		cause  string
	}{
		"deleted after adoption": {
			break_: func(f *fixture) {
				must(t, f.kube.AppsV1().Deployments("ns").Delete(context.Background(), "web-primary", metav1.DeleteOptions{}))
			},
			cause: "deleted",
		},
		"deleted after a rejected release, whose template the user's Deployment still has": {
			failed: true,
			break_: func(f *fixture) {
				must(t, f.kube.AppsV1().Deployments("ns").Delete(context.Background(), "web-primary", metav1.DeleteOptions{}))
			},
			cause: "deleted",
		},
		"scaled to 0": {
			break_: func(f *fixture) { f.setReplicas("web-primary", 0) },
			cause:  "scaled-to-zero",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, []runtime.Object{webService(), gatedWeb()})
			f.keepReplicaSet("h1")
			f.adopt()
			if tc.failed {
				f.c.gates = stepGates{failFrom: 1}
				f.setImage("web:v2", "h2")
				if st := f.release(func(stepper.Status) {}); st.Phase != stepper.PhaseFailed {
					t.Fatalf("release ended %s, want Failed", st.Phase)
				}
			}
			f.events()
			tc.break_(f)

			f.reconcile()
			st := f.status()
			if st.Reason != stepper.ReasonPrimaryMissing {
				t.Errorf("status reason %q, want %s", st.Reason, stepper.ReasonPrimaryMissing)
			}
			if events := f.events(); !hasEvent(events, "Warning "+stepper.ReasonPrimaryMissing) {
				t.Errorf("events %q, want a Warning %s", events, stepper.ReasonPrimaryMissing)
			}
			if got := testutil.ToFloat64(f.c.metrics.PrimaryRepairs.WithLabelValues("ns", tc.cause)); got != 1 {
				t.Errorf("primary repairs counted for cause %s: %g, want 1", tc.cause, got)
			}
			p := f.deployment("web-primary")
			if got := ptr.Deref(p.Spec.Replicas, 1); got != 3 {
				t.Errorf("repaired primary wants %d replicas, want the 3 it had", got)
			}
			if got := p.Spec.Template.Spec.Containers[0].Image; got != "web:v1" {
				t.Errorf("repaired primary runs %s, want the stable web:v1", got)
			}
			if got := p.Annotations[config.RevisionAnnotation]; got != st.StableRevision {
				t.Errorf("repaired primary's revision %s, want the stable %s", got, st.StableRevision)
			}

			f.markAvailable("web-primary")
			f.reconcile()
			if st := f.status(); st.Reason != stepper.ReasonPrimaryRestored {
				t.Errorf("status reason once the primary is back %q, want %s", st.Reason, stepper.ReasonPrimaryRestored)
			}
			f.c.gates = stepGates{}
			f.setImage("web:v3", "h3")
			f.startRelease()
			f.markAvailable("web")
			if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != 3 {
				t.Errorf("the next release's canary wants %d replicas, want the primary's 3", got)
			}
			if st := f.release(func(stepper.Status) {}); st.Phase != stepper.PhaseSucceeded {
				t.Errorf("the next release ended %s (%s), want Succeeded", st.Phase, st.Message)
			}
		})
	}
}

func TestKubectlScaleWhileIdleReachesThePrimary(t *testing.T) {
	cases := map[string]struct {
		// dieAtUserWrite makes the write that scales the user's
		// Deployment back fail once, as a controller killed there.
		dieAtUserWrite bool
	}{
		"uninterrupted":                          {},
		"killed before the Deployment went back": {dieAtUserWrite: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, []runtime.Object{webService(), gatedWeb()})
			f.adopt()
			f.events()
			f.setReplicas("web", 5)
			if tc.dieAtUserWrite {
				f.refresh()
				f.failUserWriteOnce()
				if _, err := f.c.reconcile(context.Background(), "ns/web"); err == nil {
					t.Fatal("the reconcile did not fail at the user's write")
				}
				f.restart()
			}
			f.reconcile()
			f.reconcile()
			if got := ptr.Deref(f.deployment("web-primary").Spec.Replicas, 1); got != 5 {
				t.Errorf("primary wants %d replicas, want the 5 the user asked for", got)
			}
			if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != 0 {
				t.Errorf("the user's Deployment wants %d replicas, want 0 while idle", got)
			}
			if got := f.status().PrimaryReplicas; got != 5 {
				t.Errorf("status.primaryReplicas %d, want 5", got)
			}
			if events := f.events(); !hasEvent(events, "Normal "+stepper.ReasonPrimaryScaled) {
				t.Errorf("events %q, want a Normal %s", events, stepper.ReasonPrimaryScaled)
			}
		})
	}
}

// failHomeWriteOnce makes the next update of the home VirtualService fail.
func (f *fixture) failHomeWriteOnce() {
	failed := false
	f.istio.PrependReactor("update", "virtualservices", func(k8stesting.Action) (bool, runtime.Object, error) {
		if failed {
			return false, nil, nil
		}
		failed = true
		return true, nil, errDied
	})
}

// failUserWriteOnce makes the next update of the user's Deployment fail.
func (f *fixture) failUserWriteOnce() {
	failed := false
	f.kube.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		d := a.(k8stesting.UpdateAction).GetObject().(*appsv1.Deployment)
		if failed || d.Name != "web" {
			return false, nil, nil
		}
		failed = true
		return true, nil, errDied
	})
}

func TestTheUsersHPAKeepsTheCanarysReplicasDuringARelease(t *testing.T) {
	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr.To[int32](2), MaxReplicas: 10,
		},
	}
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
		config.Prefix + config.KeySteps:          "5,50",
		config.Prefix + config.KeyScaleDownDelay: "0s",
	}), hpa})
	f.adopt()
	f.setImage("web:v2", "h2")
	f.startRelease()
	if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != 3 {
		t.Fatalf("the canary starts at %d replicas, want the primary's 3", got)
	}
	// The HPA sees the canary's load and scales it; the controller must
	// leave that count alone until the release ends.
	f.setReplicas("web", 7)
	target := istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}
	st := f.release(func(st stepper.Status) {
		if st.Phase == stepper.PhaseSucceeded {
			return
		}
		if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != 7 {
			_, w := istio.ObserveRouting(f.virtualService(), target)
			t.Fatalf("%s step %d (weight %d): the canary wants %d replicas, want the HPA's 7", st.Phase, st.Step, w, got)
		}
	})
	if st.Phase != stepper.PhaseSucceeded {
		t.Fatalf("release ended %s (%s)", st.Phase, st.Message)
	}
	f.clock.Step(time.Second)
	f.reconcile() // the scale-down, once the route without the canary is seen
	if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != 0 {
		t.Errorf("after the release the canary wants %d replicas, want 0", got)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
