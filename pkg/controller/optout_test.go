package controller

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// optOut removes the label from ns/web, as kubectl label web meshcanary.io/canary- does.
func (f *fixture) optOut() {
	f.t.Helper()
	d := f.deployment("web")
	delete(d.Labels, config.EnabledLabel)
	if _, err := f.kube.AppsV1().Deployments("ns").Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

func TestOptingOutOfAnUnpromotedRevisionIsHeldWithAllTrafficOnThePrimary(t *testing.T) {
	target := istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}
	inFlight := func(f *fixture) {
		f.c.gates = stepGates{}
		for range 10 {
			f.reconcile()
			f.markAvailable("web")
			if _, w := istio.ObserveRouting(f.virtualService(), target); w > 0 {
				return
			}
			f.clock.Step(f.reconcile())
		}
		f.t.Fatal("the canary never got weight")
	}
	cases := map[string]struct {
		// reach brings the release of web:v2 to where the opt-out happens.
		reach      func(f *fixture)
		wantCanary int32
		// dieAtHoldWrite makes the write that takes the canary's weight
		// away and records the hold (one write of the home VirtualService)
		// fail once, as a controller killed just before it.
		dieAtHoldWrite bool
	}{
		"after the release was rejected": {
			reach: func(f *fixture) {
				f.c.gates = stepGates{failFrom: 1}
				if st := f.release(func(stepper.Status) {}); st.Phase != stepper.PhaseFailed {
					f.t.Fatalf("release ended %s, want Failed", st.Phase)
				}
			},
			wantCanary: 0,
		},
		"in flight with canary weight": {
			reach:      inFlight,
			wantCanary: 3,
		},
		"in flight, killed at the write that holds it": {
			reach:          inFlight,
			wantCanary:     3,
			dieAtHoldWrite: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, []runtime.Object{webService(), gatedWeb()})
			f.adopt()
			f.setImage("web:v2", "h2")
			tc.reach(f)
			f.events()

			f.optOut()
			if tc.dieAtHoldWrite {
				f.refresh()
				f.failHomeWriteOnce()
				if _, err := f.c.reconcile(context.Background(), "ns/web"); err == nil {
					t.Fatal("the reconcile did not fail at the write that holds the opt-out")
				}
				if events := f.events(); len(events) > 0 {
					t.Errorf("events %q recorded before the hold was written", events)
				}
				f.restart()
			}
			for i := range 3 {
				f.reconcile()
				events := f.events()
				if i == 0 && !hasEvent(events, "Warning "+stepper.ReasonOptOutBlocked) {
					t.Errorf("events %q, want a Warning %s", events, stepper.ReasonOptOutBlocked)
				}
				if i > 0 && len(events)+len(f.writes()) > 0 {
					t.Errorf("reconcile %d of the held opt-out recorded %q again and wrote %q", i+1, events, f.writes())
				}
			}
			routed, w := istio.ObserveRouting(f.virtualService(), target)
			if !routed || w != 0 {
				t.Errorf("held opt-out: routed %v with canary weight %d, want every route on the primary subset", routed, w)
			}
			if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != tc.wantCanary {
				t.Errorf("held opt-out: the user's Deployment wants %d replicas, want %d (untouched)", got, tc.wantCanary)
			}
			if st := f.status(); st.Reason != stepper.ReasonOptOutBlocked {
				t.Errorf("status reason %q, want %s", st.Reason, stepper.ReasonOptOutBlocked)
			}

			// Setting the template back to the primary's revision lets the
			// opt-out go on: the user's Deployment is scaled back up.
			f.setImage("web:v1", "h1")
			f.reconcile()
			if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != 3 {
				t.Errorf("after the template went back: the user's Deployment wants %d replicas, want the primary's 3", got)
			}
			writes := f.writes()
			at := map[string]time.Time{}
			for range 8 {
				f.markAvailable("web")
				wait := f.reconcile()
				// The watch event of a write brings a reconcile at once,
				// before the requeue is due.
				for again := true; again; {
					again = len(f.log) > 0
					for _, w := range f.writes() {
						writes = append(writes, w)
						at[w] = f.clock.Now()
					}
					if again {
						wait = f.reconcile()
					}
				}
				f.clock.Step(wait)
			}
			// Make before break: the restored routes get an xDS push of
			// their own before the subsets they named go.
			if lead := at["delete destinationrules"].Sub(at["delete virtualservices"]); lead < stepper.SubsetLead {
				t.Errorf("the subsets went %s after the routes were restored, want at least %s", lead, stepper.SubsetLead)
			}
			want := []string{"delete virtualservices", "delete destinationrules", "delete deployments"}
			if tc.wantCanary < 3 {
				want = append([]string{"update deployments"}, want...) // scaled back up first
			}
			if diff := cmp.Diff(want, writes); diff != "" {
				t.Errorf("the rest of the opt-out (-want +got):\n%s", diff)
			}
		})
	}
}
