package controller

import (
	"context"
	"slices"
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
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// swapFixture is a fixture of ns/web promoted by role swap in 5 steps,
// adopted, with every Deployment write recorded by name; more are more
// annotations.
func swapFixture(t *testing.T, more ...string) (*fixture, *[]string) {
	t.Helper()
	annotations := map[string]string{
		config.Prefix + config.KeySteps:          "10,20,30,40,50",
		config.Prefix + config.KeyScaleDownDelay: "0s",
		config.Prefix + config.KeyPromotion:      "swap",
	}
	for i := 0; i+1 < len(more); i += 2 {
		annotations[config.Prefix+more[i]] = more[i+1]
	}
	f := newFixture(t, []runtime.Object{webService(), webDeployment(annotations)})
	var names []string
	f.kube.PrependReactor("*", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if w, ok := a.(k8stesting.CreateAction); ok && a.GetSubresource() == "" && (a.GetVerb() == "create" || a.GetVerb() == "update") {
			names = append(names, a.GetVerb()+" "+w.GetObject().(*appsv1.Deployment).Name)
		}
		return false, nil, nil
	})
	f.reconcile()
	f.markAvailable("web-slot-a")
	for range 4 {
		f.clock.Step(f.reconcile())
	}
	if st := f.status(); st.Phase != stepper.PhaseReady || st.PrimarySlot != config.SlotA {
		t.Fatalf("after adoption phase %s, primary slot %q; want Ready, a", st.Phase, st.PrimarySlot)
	}
	return f, &names
}

// swapRelease walks the release of the user's template to its end and past the scale-down
// of the leaving slot, playing the Deployment controller for the slots, and
// returns the writes ("verb resource") and the canary weights the home
// VirtualService took, observed for the slot its status names the
// primary's.
func (f *fixture) swapRelease() (writes []string, weights []int32) {
	f.t.Helper()
	for range 60 {
		requeue := f.reconcile()
		writes = append(writes, f.writes()...)
		st := f.status()
		_, w := istio.ObserveRouting(f.virtualService(), istio.Target{Namespace: "ns", Service: "web", Deployment: "web", Slot: st.PrimarySlot})
		if len(weights) == 0 || weights[len(weights)-1] != w {
			weights = append(weights, w)
		}
		leaving, err := f.kube.AppsV1().Deployments("ns").Get(context.Background(), config.SlotName("web", st.PrimarySlot.Other()), metav1.GetOptions{})
		if err == nil && st.Phase == stepper.PhaseSucceeded && st.Revision == workloadRevisionOf(f) && ptr.Deref(leaving.Spec.Replicas, -1) == 0 {
			return writes, weights
		}
		for _, slot := range []config.Slot{config.SlotA, config.SlotB} {
			d, err := f.kube.AppsV1().Deployments("ns").Get(context.Background(), config.SlotName("web", slot), metav1.GetOptions{})
			if err == nil && ptr.Deref(d.Spec.Replicas, 0) != d.Status.AvailableReplicas {
				f.markAvailable(d.Name)
			}
		}
		f.clock.Step(requeue)
	}
	f.t.Fatalf("the release did not end: %+v", f.status())
	return nil, nil
}

func TestAReleasePromotedByRoleSwapCostsEightWritesAndNeverTouchesTheUsersDeployment(t *testing.T) {
	f, names := swapFixture(t)
	if got := ptr.Deref(f.deployment("web").Spec.Replicas, -1); got != 0 {
		t.Errorf("user's Deployment at %d replicas after adoption, want 0 (the primary's slot runs the pods)", got)
	}
	dr, err := f.istio.NetworkingV1().DestinationRules("ns").Get(context.Background(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var subsets []string
	for _, s := range dr.Spec.Subsets {
		subsets = append(subsets, s.Name+"="+s.Labels[config.SlotLabel])
	}
	if want := []string{"slot-a=a", "slot-b=b"}; !slices.Equal(subsets, want) {
		t.Errorf("DestinationRule subsets %v, want %v", subsets, want)
	}

	for i, r := range []struct {
		image   string
		primary config.Slot
		writes  []string
	}{
		// The first release creates slot b; the second updates slot a.
		{"web:v2", config.SlotB, []string{"create web-slot-b", "update web-slot-a"}},
		{"web:v3", config.SlotA, []string{"update web-slot-a", "update web-slot-b"}},
	} {
		f.clock.Step(time.Second)
		f.changeImage(r.image)
		*names = nil
		writes, weights := f.swapRelease()
		if d := cmp.Diff([]int32{0, 10, 20, 30, 40, 50, 0}, weights); d != "" {
			t.Errorf("release %d: canary weights (-want +got):\n%s", i+1, d)
		}
		counts := map[string]int{}
		for _, w := range writes {
			counts[w]++
		}
		// The start is recorded on the canary's slot, in the write that
		// gives it the template: 5 weights and the swap are the
		// VirtualService's writes.
		want := map[string]int{"update virtualservices": 6, "update deployments": 2}
		if i == 0 {
			want = map[string]int{"update virtualservices": 6, "create deployments": 1, "update deployments": 1}
		}
		if d := cmp.Diff(want, counts); d != "" {
			t.Errorf("release %d: writes (-want +got):\n%s", i+1, d)
		}
		if d := cmp.Diff(r.writes, *names); d != "" {
			t.Errorf("release %d: Deployment writes (-want +got):\n%s", i+1, d)
		}
		st := f.status()
		if st.PrimarySlot != r.primary || st.StableRevision != st.Revision {
			t.Errorf("release %d: primary slot %q, stable %s of %s; want %q, the release's revision", i+1, st.PrimarySlot, st.StableRevision, st.Revision, r.primary)
		}
		primary := f.deployment(config.SlotName("web", r.primary))
		if got := primary.Spec.Template.Spec.Containers[0].Image; got != r.image {
			t.Errorf("release %d: primary slot runs %s, want %s", i+1, got, r.image)
		}
	}
}

// TestARoleSwapThatKeepsTheFormerPrimaryWarmCostsSevenWrites releases by
// role swap with scale-down off: the former primary's slot keeps its pods,
// idle (an instant way back, at the price of a second set of pods between
// releases), and the next release's one write of it rolls them to the new
// template. A release is then 7 writes: 6 of the VirtualService, 1 of the
// canary's slot (which records the start).
func TestARoleSwapThatKeepsTheFormerPrimaryWarmCostsSevenWrites(t *testing.T) {
	f, names := swapFixture(t, config.KeyScaleDownCanary, "false")
	for i, image := range []string{"web:v2", "web:v3"} {
		f.clock.Step(time.Second)
		f.changeImage(image)
		*names = nil
		var writes []string
		for range 60 {
			wait := f.reconcile()
			writes = append(writes, f.writes()...)
			if st := f.status(); st.Phase == stepper.PhaseSucceeded && st.Revision == workloadRevisionOf(f) {
				break
			}
			for _, slot := range []config.Slot{config.SlotA, config.SlotB} {
				d, err := f.kube.AppsV1().Deployments("ns").Get(context.Background(), config.SlotName("web", slot), metav1.GetOptions{})
				if err == nil && ptr.Deref(d.Spec.Replicas, 0) != d.Status.AvailableReplicas {
					f.markAvailable(d.Name)
				}
			}
			f.clock.Step(wait)
		}
		for range 3 { // the drain's end writes nothing
			f.clock.Step(time.Minute)
			f.reconcile()
			writes = append(writes, f.writes()...)
		}
		if i == 0 {
			continue // the first release creates slot b
		}
		counts := map[string]int{}
		for _, w := range writes {
			counts[w]++
		}
		if d := cmp.Diff(map[string]int{"update virtualservices": 6, "update deployments": 1}, counts); d != "" {
			t.Errorf("release %d: writes (-want +got):\n%s", i+1, d)
		}
		if d := cmp.Diff([]string{"update web-slot-a"}, *names); d != "" {
			t.Errorf("release %d: Deployment writes (-want +got):\n%s", i+1, d)
		}
		if got := ptr.Deref(f.deployment("web-slot-b").Spec.Replicas, -1); got != 3 {
			t.Errorf("release %d: the former primary's slot at %d replicas, want 3 (kept warm)", i+1, got)
		}
	}
}

// workloadRevisionOf is the revision of ns/web's current template.
func workloadRevisionOf(f *fixture) string {
	return workload.Revision(&f.deployment("web").Spec.Template)
}

// TestARoleSwapCanaryIsNeverRetemplatedUnderWeight supersedes a release at
// step 2: the reconcile that sees the new template persists weight 0 (and
// the new release's start) and writes no template; the canary's slot gets
// the new template on the key's next turn, once the routes without its
// weight are persisted.
func TestARoleSwapCanaryIsNeverRetemplatedUnderWeight(t *testing.T) {
	f, names := swapFixture(t, config.KeyScaleDownDelay, "30s")
	f.changeImage("web:v2")
	for range 10 {
		f.clock.Step(f.reconcile())
		if st := f.status(); st.Step >= 2 {
			break
		}
		if d, err := f.kube.AppsV1().Deployments("ns").Get(context.Background(), "web-slot-b", metav1.GetOptions{}); err == nil && d.Status.AvailableReplicas == 0 {
			f.markAvailable(d.Name)
		}
	}
	if st := f.status(); st.Step < 1 {
		t.Fatalf("release at step %d, want under weight", st.Step)
	}
	*names = nil
	f.changeImage("web:v3") // supersedes: weight 0 first, then the template
	f.reconcile()
	if st := f.status(); st.Phase != stepper.PhaseProgressing || st.Step != 0 || st.Weight != 0 || st.Reason != stepper.ReasonSuperseded {
		t.Fatalf("after the new template: %s step %d weight %d (%s), want Progressing at step 0, weight 0, Superseded", st.Phase, st.Step, st.Weight, st.Reason)
	}
	if _, w := istio.ObserveRouting(f.virtualService(), istio.Target{Namespace: "ns", Service: "web", Deployment: "web", Slot: config.SlotA}); w != 0 {
		t.Errorf("canary weight %d after the supersede, want 0", w)
	}
	if got := f.deployment("web-slot-b").Spec.Template.Spec.Containers[0].Image; got != "web:v2" {
		t.Errorf("the supersede's reconcile retemplated the canary's slot (%s) in the decision that took its weight away", got)
	}
	f.clock.Step(time.Second)
	f.reconcile()
	if got := f.deployment("web-slot-b").Spec.Template.Spec.Containers[0].Image; got != "web:v2" {
		t.Errorf("canary slot retemplated (%s) 1 s after its weight went to 0, within the scale-down delay: proxies that have not seen that route may still send it requests", got)
	}
	f.clock.Step(29 * time.Second)
	f.reconcile()
	if got := f.deployment("web-slot-b").Spec.Template.Spec.Containers[0].Image; got != "web:v3" {
		t.Errorf("canary slot image %s once the scale-down delay after the supersede is over, want web:v3; Deployment writes %v", got, *names)
	}
}

func TestARoleSwapRefusesAChangeOfPromotionAfterAdoption(t *testing.T) {
	f, _ := swapFixture(t)
	d := f.deployment("web")
	d.Annotations[config.Prefix+config.KeyPromotion] = "rollout"
	if _, err := f.kube.AppsV1().Deployments("ns").Update(context.Background(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.changeImage("web:v2")
	f.reconcile()
	st := f.status()
	if st.ConfigError == "" || st.Phase != stepper.PhaseReady {
		t.Errorf("phase %s, config error %q; want Ready with the promotion change reported", st.Phase, st.ConfigError)
	}
	for _, w := range f.writes() {
		if w == "update deployments" || w == "create deployments" {
			t.Errorf("a Deployment was written under an invalid promotion: %v", f.writes())
		}
	}
}

func TestAdoptionAfterALostStatusKeepsTheSlotThatServes(t *testing.T) {
	slot := func(revision string, replicas int32) *appsv1.Deployment {
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{config.RevisionAnnotation: revision}},
			Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(replicas)},
		}
	}
	tests := map[string]struct {
		a, b *appsv1.Deployment
		want config.Slot
	}{
		"no slot yet: slot a":                                   {want: config.SlotA},
		"only slot b: slot b":                                   {b: slot("r1", 3), want: config.SlotB},
		"mid-release, b primary at r0, a the canary at r2":      {a: slot("r2", 3), b: slot("r0", 3), want: config.SlotB},
		"promoted to b, a scaled down":                          {a: slot("r0", 0), b: slot("r2", 3), want: config.SlotB},
		"promoted to a, b scaled down":                          {a: slot("r2", 3), b: slot("r0", 0), want: config.SlotA},
		"both at other revisions than the template: the larger": {a: slot("r0", 2), b: slot("r1", 3), want: config.SlotB},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := adoptedSlot(tc.a, tc.b, "r2"); got != tc.want {
				t.Errorf("adoptedSlot = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestARoleSwapOptOutIdlesTheCanarysSlotBeforeTheRoutesGoToThePlainHost(t *testing.T) {
	f, names := swapFixture(t)
	f.changeImage("web:v2")
	for range 10 {
		f.clock.Step(f.reconcile())
		if f.status().Step >= 1 {
			break
		}
		if d, err := f.kube.AppsV1().Deployments("ns").Get(context.Background(), "web-slot-b", metav1.GetOptions{}); err == nil && d.Status.AvailableReplicas == 0 {
			f.markAvailable(d.Name)
		}
	}
	if st := f.status(); st.Step < 1 {
		t.Fatalf("release at step %d, want under weight", st.Step)
	}
	f.changeImage("web:v1") // back to the primary's revision: the opt-out is not held
	f.optOut()
	*names = nil
	var order []string
	for range 20 {
		f.markAvailable("web")
		if d, err := f.kube.AppsV1().Deployments("ns").Get(context.Background(), "web-slot-b", metav1.GetOptions{}); err == nil && d.Status.Replicas != ptr.Deref(d.Spec.Replicas, 0) {
			f.markAvailable(d.Name) // plays the Deployment controller: the pods are gone
		}
		wait := f.reconcile()
		for _, w := range f.writes() {
			if w != "update deployments" && w != "create deployments" && w != "delete deployments" {
				order = append(order, w)
			}
		}
		order = append(order, *names...)
		*names = nil
		f.clock.Step(wait)
	}
	index := func(w string) int {
		i := slices.Index(order, w)
		if i < 0 {
			t.Fatalf("no %q among the opt-out's writes %v", w, order)
		}
		return i
	}
	if index("update web-slot-b") > index("delete virtualservices") {
		t.Errorf("the canary's slot was idled after the routes went to the plain host: %v", order)
	}
	for _, slot := range []string{"web-slot-a", "web-slot-b"} {
		if _, err := f.kube.AppsV1().Deployments("ns").Get(context.Background(), slot, metav1.GetOptions{}); err == nil {
			t.Errorf("%s still exists after the opt-out: %v", slot, order)
		}
	}
}
