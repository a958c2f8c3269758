package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

func TestAdoptionRoutesToThePrimaryOnlyOnceItIsAvailableThenIdlesTheUserDeployment(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(nil)})

	f.reconcile()
	if diff := cmp.Diff([]string{"create destinationrules", "create deployments"}, f.writes()); diff != "" {
		t.Fatalf("first reconcile writes (-want +got):\n%s", diff)
	}
	primary := f.deployment("web-primary")
	if got := primary.Spec.Template.Labels[config.RoleLabel]; got != config.RolePrimary {
		t.Errorf("primary template role label = %q", got)
	}
	if got := f.status().Phase; got != stepper.PhaseInitializing {
		t.Errorf("phase = %s, want Initializing", got)
	}

	f.reconcile()
	if w := f.writes(); len(w) != 0 {
		t.Fatalf("reconcile with nothing new wrote %v", w)
	}

	f.markAvailable("web-primary")
	wait := f.reconcile()
	if w := f.writes(); len(w) != 0 || wait <= 0 || wait > stepper.SubsetLead {
		t.Fatalf("primary available, subset just written: wrote %v and looks again in %s, want no route before the subset is %s old", w, wait, stepper.SubsetLead)
	}
	f.clock.Step(wait)
	f.reconcile()
	if diff := cmp.Diff([]string{"create virtualservices"}, f.writes()); diff != "" {
		t.Fatalf("writes once the primary is available (-want +got):\n%s", diff)
	}
	vs := f.virtualService()
	if got := vs.Spec.Http[0].Route; len(got) != 1 || got[0].Destination.Subset != config.SubsetPrimary {
		t.Fatalf("routes = %v, want the primary only", got)
	}

	if got := vs.Annotations[config.StatusAnnotation]; !strings.Contains(got, `"phase":"Initializing"`) {
		t.Errorf("status created with the routes = %s, want Initializing", got)
	}

	f.reconcile()
	if diff := cmp.Diff([]string{"update deployments", "update virtualservices"}, f.writes()); diff != "" {
		t.Fatalf("writes once routed (-want +got):\n%s", diff)
	}
	user := f.deployment("web")
	if got := *user.Spec.Replicas; got != 0 {
		t.Errorf("user replicas = %d, want 0 (idled)", got)
	}
	if got := f.status().Phase; got != stepper.PhaseReady {
		t.Errorf("phase = %s, want Ready", got)
	}
	if got := *f.deployment("web-primary").Spec.Replicas; got != 3 {
		t.Errorf("primary replicas = %d, want the user's 3", got)
	}
}

func TestInvalidAnnotationBeforeAnyRouteChangesNothingAndWarns(t *testing.T) {
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{config.Prefix + config.KeySteps: "5,abc"})})

	f.reconcile()
	if w := f.writes(); len(w) != 0 {
		t.Fatalf("without a VirtualService to hold the status, the reconcile wrote %v", w)
	}
	user := f.deployment("web")
	st := f.status()
	if !strings.Contains(st.ConfigError, `meshcanary.io/steps="5,abc"`) {
		t.Errorf("configError = %q, want the key and value named", st.ConfigError)
	}
	if *user.Spec.Replicas != 3 {
		t.Errorf("replicas changed to %d", *user.Spec.Replicas)
	}
	select {
	case e := <-f.recorder.Events:
		if !strings.HasPrefix(e, "Warning InvalidConfig") {
			t.Errorf("event = %q, want a Warning InvalidConfig", e)
		}
	default:
		t.Error("no event recorded")
	}

	f.reconcile()
	if w := f.writes(); len(w) != 0 {
		t.Errorf("second reconcile of the same invalid config wrote %v", w)
	}
}

func TestAServiceThatCannotBeResolvedIsAConfigurationError(t *testing.T) {
	other := webService()
	other.Name = "web-2"
	f := newFixture(t, []runtime.Object{webService(), other, webDeployment(nil)})

	f.reconcile()
	st := f.status()
	if !strings.Contains(st.ConfigError, "several Services select the pods (web, web-2)") {
		t.Errorf("configError = %q", st.ConfigError)
	}
	if w := f.writes(); len(w) != 0 {
		t.Errorf("without a VirtualService to hold the status, the reconcile wrote %v", w)
	}
}

func TestInvalidOrAmbiguousConfigMidReleaseHoldsThenRollsBackAtMaxHold(t *testing.T) {
	cases := map[string]func(f *fixture){
		"an invalid annotation": func(f *fixture) {
			user := f.deployment("web")
			user.Annotations[config.Prefix+config.KeySteps] = "5,abc"
			if _, err := f.kube.AppsV1().Deployments("ns").Update(context.Background(), user, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		},
		"a second Service selecting the pods": func(f *fixture) {
			other := webService()
			other.Name = "web-2"
			if _, err := f.kube.CoreV1().Services("ns").Create(context.Background(), other, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, breakConfig := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
				config.Prefix + config.KeySteps:   "5,50",
				config.Prefix + config.KeyMaxHold: "2m",
			})})
			f.adopt()
			f.setImage("web:v2", "h2")
			target := istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}
			for i := 0; f.status().Step < 1; i++ {
				if i == 10 {
					t.Fatalf("the release did not reach step 1: %s", f.status().Message)
				}
				if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
					f.markAvailable("web")
				}
				f.reconcile()
				f.clock.Step(time.Second)
			}
			f.reconcile()
			if _, w := istio.ObserveRouting(f.virtualService(), target); w != 5 {
				t.Fatalf("canary weight at step 1 = %d, want 5", w)
			}

			breakConfig(f)
			requeue := f.reconcile()
			st := f.status()
			if st.ConfigError == "" || st.HoldSince == nil || st.Phase != stepper.PhaseProgressing {
				t.Fatalf("after the change: phase %s, configError %q, holdSince %v; want a hold with the error", st.Phase, st.ConfigError, st.HoldSince)
			}
			if requeue <= 0 {
				t.Errorf("requeue %s after the change mid-release: the hold timer would never fire", requeue)
			}
			if _, w := istio.ObserveRouting(f.virtualService(), target); w != 5 {
				t.Errorf("canary weight while holding = %d, want 5 unchanged", w)
			}

			f.clock.Step(2 * time.Minute)
			f.reconcile()
			st = f.status()
			if st.Phase != stepper.PhaseRollingBack || st.Reason != stepper.ReasonHoldTimeout {
				t.Fatalf("after max-hold: phase %s reason %s, want RollingBack %s", st.Phase, st.Reason, stepper.ReasonHoldTimeout)
			}
			vs := f.virtualService()
			if _, w := istio.ObserveRouting(vs, target); w != 0 {
				t.Errorf("canary weight after max-hold = %d, want 0", w)
			}
			if diff := cmp.Diff([]string{"web"}, vs.Spec.Hosts); diff != "" {
				t.Errorf("hosts of the VirtualService changed by the rollback (-want +got):\n%s", diff)
			}
			f.reconcile()
			if st := f.status(); st.Phase != stepper.PhaseFailed {
				t.Errorf("once weight 0 holds: phase %s, want Failed", st.Phase)
			}
		})
	}
}
