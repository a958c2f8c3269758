package controller

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestTheCanaryKeepsItsPodsForTheScaleDownDelayAfterItsTrafficLeft ends a
// release rejected by the gates and a promoted one: the canary keeps its
// replicas while proxies may still have the route that gives it weight,
// the controller looks again when the delay is over (the workqueue's
// timer), and then scales it down in one write with the status.
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
			if diff := cmp.Diff([]string{"update deployments", "update virtualservices"}, f.writes()); diff != "" {
				t.Errorf("writes at the end of the delay: the scale-down, then the status without trafficLeftAt (-want +got):\n%s", diff)
			}
			if got := ptr.Deref(f.deployment("web").Spec.Replicas, 1); got != 0 {
				t.Errorf("after the delay the canary wants %d replicas, want 0", got)
			}
			end := f.status()
			if end.TrafficLeftAt != nil || end.Phase != tc.want {
				t.Errorf("after the delay: phase %s, trafficLeftAt %v; want %s without trafficLeftAt", end.Phase, end.TrafficLeftAt, tc.want)
			}
			if got := ptr.Deref(f.deployment("web-primary").Spec.Replicas, 1); got != 3 {
				t.Errorf("the primary wants %d replicas, want its 3: the canary's replicas are not a user's scale", got)
			}
			f.reconcile()
			if len(f.writes()) > 0 {
				t.Errorf("the reconcile after the scale-down wrote %q, want nothing", f.writes())
			}
		})
	}
}
