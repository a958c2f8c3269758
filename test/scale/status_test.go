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
// status annotation of the canary's home VirtualService, which names the
// canary in its routes-for annotation.
func meshcanaryStatus(obj any) (name, raw string, ok bool) {
	vs, isVS := obj.(*networkingv1.VirtualService)
	if !isVS {
		return "", "", false
	}
	raw = vs.Annotations[config.StatusAnnotation]
	return vs.Annotations[config.RoutesForAnnotation], raw, raw != ""
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
		"a Deployment carries none, whatever its annotations say": {
			obj: &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "app-001",
				Annotations: map[string]string{config.StatusAnnotation: `{"phase":"Ready"}`}}},
		},
		"a home VirtualService carries it for the canary it routes for": {
			obj: &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "app-001",
				Annotations: map[string]string{config.StatusAnnotation: `{"phase":"Progressing"}`, config.RoutesForAnnotation: "app-001"}}},
			wantName: "app-001", wantRaw: `{"phase":"Progressing"}`, wantOK: true,
		},
		"a VirtualService without it carries none": {
			obj: &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "app-001",
				Annotations: map[string]string{config.RoutesForAnnotation: "app-001"}}},
		},
		"an emptied annotation carries none": {
			obj: &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "app-001",
				Annotations: map[string]string{config.StatusAnnotation: "", config.RoutesForAnnotation: "app-001"}}},
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
