package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// slotOf is the Deployment of slot s of the Deployment ns/name, as
// meshcanary labels it, recording the start of a release (none when nil)
// in config.ReleaseAnnotation.
func slotOf(ns, name string, s config.Slot, record *stepper.Status) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{
		Namespace:   ns,
		Name:        config.SlotName(name, s),
		Labels:      map[string]string{config.PrimaryOfLabel: name, config.ManagedByLabel: config.ManagedByValue},
		Annotations: map[string]string{},
	}}
	if record != nil {
		data, err := json.Marshal(*record)
		if err != nil {
			panic(err)
		}
		d.Annotations[config.ReleaseAnnotation] = string(data)
	}
	return d
}

// swapIdle is the idle status of a Deployment promoted by role swap whose
// last release, promoted an hour ago, left slot a the primary.
func swapIdle() stepper.Status {
	return stepper.Status{Phase: stepper.PhaseSucceeded, PrimarySlot: config.SlotA, Step: 3, Steps: 3, Total: 100,
		Revision: "r1", StableRevision: "r1", TransitionTime: now.Add(-time.Hour)}
}

// swapStart is the start of a release of revision r2 recorded at at, slot a
// the primary.
func swapStart(at time.Time) stepper.Status {
	return stepper.Status{Phase: stepper.PhaseProgressing, PrimarySlot: config.SlotA, Step: 0, Steps: 3, Total: 100,
		Revision: "r2", StableRevision: "r1", ReleaseStart: &at, StepStart: &at, TransitionTime: at,
		Reason: stepper.ReasonStepAdvanced}
}

func TestStatusOfARoleSwapReadsTheStartRecordedOnTheCanarySlot(t *testing.T) {
	started := now.Add(-time.Minute)
	start := swapStart(started)
	stale := swapStart(now.Add(-2 * time.Hour)) // the release the idle status ended
	stepping := swapStart(started)
	stepping.Step, stepping.Weight = 1, 5
	rollout := swapIdle()
	rollout.PrimarySlot = ""
	rolloutStart := start
	rolloutStart.PrimarySlot = ""
	garbled := slotOf("shop", "reviews", config.SlotB, nil)
	garbled.Annotations[config.ReleaseAnnotation] = "{not json"

	tests := map[string]struct {
		home  stepper.Status
		slots []*appsv1.Deployment
		want  stepper.Status
	}{
		"a start recorded on the canary's slot after the home's last transition is the status": {
			home:  swapIdle(),
			slots: []*appsv1.Deployment{slotOf("shop", "reviews", config.SlotA, nil), slotOf("shop", "reviews", config.SlotB, &start)},
			want:  start,
		},
		"a record older than the home's last transition is the slot's last release: the home's status stands": {
			home:  swapIdle(),
			slots: []*appsv1.Deployment{slotOf("shop", "reviews", config.SlotB, &stale)},
			want:  swapIdle(),
		},
		"a record on the primary's slot is not the canary's": {
			home:  swapIdle(),
			slots: []*appsv1.Deployment{slotOf("shop", "reviews", config.SlotA, &start)},
			want:  swapIdle(),
		},
		"once the home holds the release (step 1), the record does not count": {
			home:  stepping,
			slots: []*appsv1.Deployment{slotOf("shop", "reviews", config.SlotB, &start)},
			want:  stepping,
		},
		"the slot of a Deployment of the same name in another namespace is not read": {
			home:  swapIdle(),
			slots: []*appsv1.Deployment{slotOf("billing", "reviews", config.SlotB, &start)},
			want:  swapIdle(),
		},
		"a record that does not parse does not count": {
			home:  swapIdle(),
			slots: []*appsv1.Deployment{garbled},
			want:  swapIdle(),
		},
		"without the slot Deployments the home's status stands": {
			home: swapIdle(),
			want: swapIdle(),
		},
		"a Deployment promoted by rollout has no slot to read, even one named like it": {
			home:  rollout,
			slots: []*appsv1.Deployment{slotOf("shop", "reviews", config.SlotB, &rolloutStart), slotOf("shop", "reviews", config.SlotA, &rolloutStart)},
			want:  rollout,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			d := deployment("shop", "reviews", time.Hour, nil)
			home := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "reviews",
				Annotations: map[string]string{config.RoutesForAnnotation: "reviews"}}}
			data, err := json.Marshal(tc.home)
			if err != nil {
				t.Fatal(err)
			}
			home.Annotations[config.StatusAnnotation] = string(data)
			got, err := StatusOf(d, []*networkingv1.VirtualService{home}, tc.slots)
			if err != nil || got == nil {
				t.Fatalf("StatusOf = %v, %v", got, err)
			}
			if diff := gocmp.Diff(tc.want, *got); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

// swapCanaries are shop/reviews, promoted by role swap, whose release of
// r2 started a minute ago (recorded on slot b), shop/cart, promoted by
// role swap too, whose slot b still records the release that ended, and
// shop/ratings, promoted by rollout.
func swapCanaries(t *testing.T) Clients {
	t.Helper()
	reviews := swapIdle()
	cart := swapIdle()
	ratings := swapIdle()
	ratings.PrimarySlot = ""
	start := swapStart(now.Add(-time.Minute))
	ended := swapStart(now.Add(-2 * time.Hour))
	return clientsOf(t,
		deployment("shop", "reviews", time.Hour, &reviews),
		slotOf("shop", "reviews", config.SlotA, nil), slotOf("shop", "reviews", config.SlotB, &start),
		deployment("shop", "cart", time.Hour, &cart),
		slotOf("shop", "cart", config.SlotA, nil), slotOf("shop", "cart", config.SlotB, &ended),
		deployment("shop", "ratings", time.Hour, &ratings),
	)
}

func TestStatusShowsTheStartOfARoleSwapReleaseFromItsCanarySlot(t *testing.T) {
	for _, name := range []string{"", "reviews"} {
		cs, err := listCanaries(context.Background(), swapCanaries(t), "shop", name)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range cs {
			got[c.Name] = rowCells(c, now)[2] + " " + rowCells(c, now)[3]
		}
		want := map[string]string{"reviews": "Progressing 0/3", "cart": "Succeeded 3/3", "ratings": "Succeeded 3/3"}
		if name != "" {
			want = map[string]string{name: want[name]}
		}
		if diff := gocmp.Diff(want, got); diff != "" {
			t.Errorf("listing %q: phase and step (-want +got):\n%s", name, diff)
		}
	}
}

func TestStatusWatchPrintsTheStartRecordedOnTheCanarySlot(t *testing.T) {
	cl := swapCanaries(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Status(ctx, cl, out, &bytes.Buffer{}, StatusOptions{Namespace: "shop", Name: "cart", Watch: true, Output: OutputTable, Now: clock})
	}()
	waitFor(t, "the first table", func() bool { return strings.Count(out.String(), "\n") == 2 })
	waitFor(t, "the watches", func() bool { return watching(cl) })

	// The next release of cart starts: the controller records it on slot b.
	start := swapStart(now)
	save(t, cl, slotOf("shop", "cart", config.SlotB, &start))
	waitFor(t, "the row of the start", func() bool { return strings.Count(out.String(), "\n") >= 3 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Status: %v", err)
	}
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := strings.Fields(rows[len(rows)-1]); last[0] != "cart" || last[1] != "Progressing" || last[2] != "0/3" {
		t.Errorf("last row %q, want cart Progressing at step 0/3", rows[len(rows)-1])
	}
}
