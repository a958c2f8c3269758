//go:build e2e

package e2e

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestInvalidConfigMidReleaseRollsBackAfterMaxHold breaks the configuration
// in the middle of a long step — an invalid steps annotation, or a second
// Service selecting the pods — and checks that the release holds at the
// weight it had, then rolls back to weight 0 once max-hold is over, instead
// of freezing the canary's weight until someone fixes the configuration.
func TestInvalidConfigMidReleaseRollsBackAfterMaxHold(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		ns      string
		breakIt func(a *app)
	}{
		"an invalid steps annotation": {"invalid-steps", func(a *app) {
			a.Annotate(config.Prefix+config.KeySteps, "20,abc")
		}},
		"a second Service selecting the pods": {"ambiguous-service", func(a *app) {
			svc := &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Name: appName + "-2", Namespace: a.ns},
				Spec: corev1.ServiceSpec{
					Selector: map[string]string{"app": appName},
					Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
				},
			}
			_, err := env.kube.CoreV1().Services(a.ns).Create(a.t.Context(), svc, metav1.CreateOptions{})
			must(a.t, "creating a second Service", err)
		}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := newApp(t, tc.ns).Steps("20,50").StepInterval("5m").Set(config.KeyMaxHold, "8s").Create()
			rev := a.SetImage("example.com/web:v2")
			a.waitStep(rev, 1)
			tc.breakIt(a)
			final := a.waitPhase(rev, stepper.PhaseFailed)

			if final.Reason != stepper.ReasonHoldTimeout || final.ConfigError == "" {
				t.Errorf("the release ended %s with reason %s and configError %q, want a %s with the configuration error kept",
					final.Phase, final.Reason, final.ConfigError, stepper.ReasonHoldTimeout)
			}
			held := false
			for _, v := range a.rec.statusHistory() {
				s := v.Status
				held = held || (s.Revision == rev && s.Phase == stepper.PhaseProgressing && s.Step == 1 &&
					s.ConfigError != "" && s.HoldSince != nil && s.Weight == 20)
			}
			if !held {
				t.Errorf("no status showed step 1 holding at weight 20 with the configuration error before the rollback")
			}
			want := []string{"primary", split(80, 20), "primary"}
			if got := routes(routeStates(a.rec.vsHistory(appName), 0)); !slices.Equal(got, want) {
				t.Errorf("routes of the VirtualService %q, want %q", got, want)
			}
		})
	}
}
