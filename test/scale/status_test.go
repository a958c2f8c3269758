//go:build scale

package scale

import (
	"fmt"
	"testing"
	"time"

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
// It is one of the two places the benchmark knows where that status lives:
// the status annotation of the canary's home VirtualService, which names
// the canary in its routes-for annotation; with a role swap, the start of
// a release is on the canary's slot first (meshcanaryRecord).
func meshcanaryStatus(obj any) (name, raw string, ok bool) {
	vs, isVS := obj.(*networkingv1.VirtualService)
	if !isVS {
		return "", "", false
	}
	raw = vs.Annotations[config.StatusAnnotation]
	return vs.Annotations[config.RoutesForAnnotation], raw, raw != ""
}

// meshcanaryRecord returns the release record meshcanary keeps on obj when
// obj is a slot Deployment of a canary promoted by role swap: the canary
// it is for (named by its primary-of label), the slot, and raw, its
// config.ReleaseAnnotation ("" when it carries none). ok is false when obj
// is no slot. A release's step 0 is recorded there, in the write that gives
// the canary's slot the release's template, until step 1 writes the home's
// status (see meshcanaryPhase).
func meshcanaryRecord(obj any) (name string, slot config.Slot, raw string, ok bool) {
	d, isDeployment := obj.(*appsv1.Deployment)
	if !isDeployment {
		return "", "", "", false
	}
	name = d.Labels[config.PrimaryOfLabel]
	if name == "" {
		return "", "", "", false
	}
	for _, slot := range []config.Slot{config.SlotA, config.SlotB} {
		if d.Name == config.SlotName(name, slot) {
			return name, slot, d.Annotations[config.ReleaseAnnotation], true
		}
	}
	return "", "", "", false
}

// meshcanaryPhase is the phase of a canary whose home VirtualService's
// status is home and whose slots last recorded records: the record on the
// canary's slot (the one that is not home.PrimarySlot) while
// stepper.Recorded says it counts, a release's start (Progressing) that
// the home's status shows only from step 1 on; else home's phase. A
// canary promoted by rollout has no primary slot: its home's phase.
func meshcanaryPhase(home stepper.Status, records map[config.Slot]string) stepper.Phase {
	if home.PrimarySlot == "" {
		return home.Phase
	}
	if r, ok := stepper.Recorded(home, records[home.PrimarySlot.Other()]); ok {
		return r.Phase
	}
	return home.Phase
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

func TestMeshcanaryRecord(t *testing.T) {
	deployment := func(name string, labels, annotations map[string]string) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}}
	}
	of := map[string]string{config.PrimaryOfLabel: "app-001"}
	record := map[string]string{config.ReleaseAnnotation: `{"phase":"Progressing","primarySlot":"a"}`}
	tests := map[string]struct {
		obj      any
		wantName string
		wantSlot config.Slot
		wantRaw  string
		wantOK   bool
	}{
		"the canary's slot carries it": {
			obj:      deployment("app-001-slot-b", of, record),
			wantName: "app-001", wantSlot: config.SlotB, wantRaw: record[config.ReleaseAnnotation], wantOK: true,
		},
		"a slot without a record is still a slot": {
			obj:      deployment("app-001-slot-a", of, nil),
			wantName: "app-001", wantSlot: config.SlotA, wantOK: true,
		},
		"a rollout's primary is no slot": {
			obj: deployment("app-001-primary", of, record),
		},
		"a Deployment named like a slot without the primary-of label is no slot": {
			obj: deployment("app-001-slot-b", nil, record),
		},
		"the user's Deployment is no slot": {
			obj: deployment("app-001", map[string]string{config.EnabledLabel: config.EnabledValue}, record),
		},
		"a VirtualService is no slot": {
			obj: &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Name: "app-001-slot-b", Labels: of, Annotations: record}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			gotName, slot, raw, ok := meshcanaryRecord(tc.obj)
			if ok != tc.wantOK || gotName != tc.wantName || slot != tc.wantSlot || raw != tc.wantRaw {
				t.Errorf("meshcanaryRecord = %q, %q, %q, %v; want %q, %q, %q, %v",
					gotName, slot, raw, ok, tc.wantName, tc.wantSlot, tc.wantRaw, tc.wantOK)
			}
		})
	}
}

func TestMeshcanaryPhase(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	idle := stepper.Status{Phase: stepper.PhaseSucceeded, PrimarySlot: config.SlotA, TransitionTime: t0}
	start := func(primary config.Slot, at time.Time) string {
		return fmt.Sprintf(`{"phase":"Progressing","primarySlot":%q,"step":0,"steps":5,"weight":0,"total":100,"transitionTime":%q}`,
			primary, at.Format(time.RFC3339))
	}
	stepping := stepper.Status{Phase: stepper.PhaseProgressing, PrimarySlot: config.SlotA, Step: 1, Weight: 10, TransitionTime: t0.Add(time.Minute)}
	rollout := stepper.Status{Phase: stepper.PhaseSucceeded, TransitionTime: t0}
	tests := map[string]struct {
		home    stepper.Status
		records map[config.Slot]string
		want    stepper.Phase
	}{
		"a start on the canary's slot, newer than the home's transition, is Progressing": {
			home: idle, records: map[config.Slot]string{config.SlotB: start(config.SlotA, t0.Add(time.Second))}, want: stepper.PhaseProgressing,
		},
		"a record older than the home's transition is the last release's": {
			home: idle, records: map[config.Slot]string{config.SlotB: start(config.SlotA, t0.Add(-time.Hour))}, want: stepper.PhaseSucceeded,
		},
		"a record on the primary's slot is not the canary's": {
			home: idle, records: map[config.Slot]string{config.SlotA: start(config.SlotA, t0.Add(time.Second))}, want: stepper.PhaseSucceeded,
		},
		"no record": {
			home: idle, want: stepper.PhaseSucceeded,
		},
		"from step 1 the home holds the release": {
			home: stepping, records: map[config.Slot]string{config.SlotB: start(config.SlotA, t0.Add(time.Second))}, want: stepper.PhaseProgressing,
		},
		"a rollout reads its home only": {
			home: rollout, records: map[config.Slot]string{config.SlotB: start("", t0.Add(time.Second))}, want: stepper.PhaseSucceeded,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := meshcanaryPhase(tc.home, tc.records); got != tc.want {
				t.Errorf("meshcanaryPhase = %q, want %q", got, tc.want)
			}
		})
	}
}
