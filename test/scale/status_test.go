//go:build scale

package scale

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// flaggerCanaries is Flagger's Canary resource.
var flaggerCanaries = schema.GroupVersionResource{Group: "flagger.app", Version: "v1beta1", Resource: "canaries"}

// meshcanaryStatus returns the release status meshcanary publishes on obj
// (raw JSON) and the canary it is for; ok is false when obj carries none.
// It is the one place the benchmark knows where that status lives: the
// status annotation of the user's Deployment.
func meshcanaryStatus(obj any) (name, raw string, ok bool) {
	d, isDeployment := obj.(*appsv1.Deployment)
	if !isDeployment {
		return "", "", false
	}
	raw, ok = d.Annotations[config.StatusAnnotation]
	return d.Name, raw, ok
}

// flaggerPhase maps a Flagger Canary's status phase to the stepper's phase
// of the same meaning where the names differ: Initialized is meshcanary's
// Ready (the canary is adopted and idle). Every other phase keeps its name.
func flaggerPhase(phase string) stepper.Phase {
	if phase == "Initialized" {
		return stepper.PhaseReady
	}
	return stepper.Phase(phase)
}

func TestMeshcanaryStatus(t *testing.T) {
	tests := map[string]struct {
		obj      any
		wantName string
		wantRaw  string
		wantOK   bool
	}{
		"a user's Deployment with the status annotation carries it": {
			obj: &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "app-001",
				Annotations: map[string]string{config.StatusAnnotation: `{"phase":"Ready"}`}}},
			wantName: "app-001", wantRaw: `{"phase":"Ready"}`, wantOK: true,
		},
		"a Deployment without it carries none": {
			obj: &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "app-001-primary"}},
		},
		"a VirtualService carries none": {
			obj: &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "app-001"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			gotName, raw, ok := meshcanaryStatus(tc.obj)
			if ok != tc.wantOK || raw != tc.wantRaw || (ok && gotName != tc.wantName) {
				t.Errorf("meshcanaryStatus = %q, %q, %v; want %q, %q, %v", gotName, raw, ok, tc.wantName, tc.wantRaw, tc.wantOK)
			}
		})
	}
	if got := flaggerPhase("Initialized"); got != stepper.PhaseReady {
		t.Errorf("flaggerPhase(Initialized) = %q, want %q", got, stepper.PhaseReady)
	}
	if got := flaggerPhase("Promoting"); got != stepper.PhasePromoting {
		t.Errorf("flaggerPhase(Promoting) = %q, want %q", got, stepper.PhasePromoting)
	}
}
