package workload

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
)

func user() *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "u1", Generation: 2,
			Labels: map[string]string{config.EnabledLabel: config.EnabledValue, "team": "a"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "web:v1"}}},
			},
		},
	}
}

func TestRevisionChangesWithTheTemplateAndOnlyWithIt(t *testing.T) {
	a, b := user(), user()
	b.Spec.Replicas = ptr.To[int32](7)
	if Revision(&a.Spec.Template) != Revision(&b.Spec.Template) {
		t.Error("replicas changed the revision")
	}
	b.Spec.Template.Spec.Containers[0].Image = "web:v2"
	if Revision(&a.Spec.Template) == Revision(&b.Spec.Template) {
		t.Error("a new image kept the revision")
	}
}

func TestAvailable(t *testing.T) {
	ready := func(change func(*appsv1.Deployment)) *appsv1.Deployment {
		d := user()
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3, ReadyReplicas: 3}
		change(d)
		return d
	}
	cases := map[string]struct {
		d    *appsv1.Deployment
		want bool
	}{
		"every replica of the current template available":   {ready(func(*appsv1.Deployment) {}), true},
		"the controller has not seen the latest generation": {ready(func(d *appsv1.Deployment) { d.Generation = 3 }), false},
		"old pods still running":                            {ready(func(d *appsv1.Deployment) { d.Status.Replicas = 4 }), false},
		"one replica not available":                         {ready(func(d *appsv1.Deployment) { d.Status.AvailableReplicas = 2 }), false},
		"scaled to zero is not available": {ready(func(d *appsv1.Deployment) {
			d.Spec.Replicas = ptr.To[int32](0)
			d.Status = appsv1.DeploymentStatus{ObservedGeneration: 2}
		}), false},
		"nil": {nil, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Available(tc.d); got != tc.want {
				t.Errorf("Available = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCurrentHashPicksTheOwnedReplicaSetWithTheCurrentTemplate(t *testing.T) {
	d := user()
	rs := func(hash, image string, owner types.UID) *appsv1.ReplicaSet {
		tpl := d.Spec.Template.DeepCopy()
		tpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
		tpl.Spec.Containers[0].Image = image
		r := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Labels: tpl.Labels}, Spec: appsv1.ReplicaSetSpec{Template: *tpl}}
		r.OwnerReferences = []metav1.OwnerReference{{UID: owner, Controller: ptr.To(true)}}
		return r
	}
	rss := []*appsv1.ReplicaSet{rs("old", "web:v0", "u1"), rs("other", "web:v1", "u2"), rs("cur", "web:v1", "u1")}
	if got := CurrentHash(d, rss); got != "cur" {
		t.Errorf("CurrentHash = %q, want cur", got)
	}
	if got := CurrentHash(d, rss[:2]); got != "" {
		t.Errorf("CurrentHash without the current ReplicaSet = %q, want empty", got)
	}
}

func TestDesiredSlotCarriesTheSlotLabelInsteadOfTheRole(t *testing.T) {
	u := user()
	owner := metav1.OwnerReference{Name: "web", UID: "u1"}
	for _, slot := range []config.Slot{config.SlotA, config.SlotB} {
		name := config.SlotName("web", slot)
		d := DesiredPrimary(u, nil, PrimarySpec{Name: name, Revision: "r1", Owner: owner, Slot: slot})
		if got := d.Spec.Selector.MatchLabels[config.SlotLabel]; got != string(slot) {
			t.Errorf("%s: selector slot %q, want %q", name, got, slot)
		}
		if got := d.Spec.Template.Labels[config.SlotLabel]; got != string(slot) {
			t.Errorf("%s: template slot %q, want %q", name, got, slot)
		}
		if _, ok := d.Spec.Template.Labels[config.RoleLabel]; ok {
			t.Errorf("%s: a slot's pods carry the primary's role label, which the rollout's primary subset selects", name)
		}
		if d.Name != name || d.Labels[config.PrimaryOfLabel] != "web" || d.Annotations[config.RevisionAnnotation] != "r1" {
			t.Errorf("%s: name %s, primary-of %q, revision %q", name, d.Name, d.Labels[config.PrimaryOfLabel], d.Annotations[config.RevisionAnnotation])
		}
	}
}

func TestDesiredPrimaryCopiesTheTemplateAddsTheRoleAndKeepsItsOwnSelector(t *testing.T) {
	u := user()
	owner := metav1.OwnerReference{Name: "web", UID: "u1"}
	p := DesiredPrimary(u, nil, PrimarySpec{Name: "web-primary", Revision: "r1", Owner: owner})
	if p.Spec.Selector.MatchLabels[config.RoleLabel] != config.RolePrimary || p.Spec.Template.Labels[config.RoleLabel] != config.RolePrimary {
		t.Errorf("selector %v / template labels %v lack the role", p.Spec.Selector.MatchLabels, p.Spec.Template.Labels)
	}
	if u.Spec.Template.Labels[config.RoleLabel] != "" || u.Spec.Selector.MatchLabels[config.RoleLabel] != "" {
		t.Error("the user's Deployment was modified")
	}
	if _, ok := p.Labels[config.EnabledLabel]; ok {
		t.Error("the primary carries the opt-in label and would be released itself")
	}
	if *p.Spec.Replicas != 3 || p.Annotations[config.RevisionAnnotation] != "r1" {
		t.Errorf("replicas %d revision %q", *p.Spec.Replicas, p.Annotations[config.RevisionAnnotation])
	}

	u.Spec.Template.Spec.Containers[0].Image = "web:v2"
	same := DesiredPrimary(u, p, PrimarySpec{Name: "web-primary", Revision: "r1", Owner: owner})
	if got := same.Spec.Template.Spec.Containers[0].Image; got != "web:v1" {
		t.Errorf("same revision copied the new template: image %s", got)
	}
	promoted := DesiredPrimary(u, p, PrimarySpec{Name: "web-primary", Revision: "r2", Owner: owner})
	if got := promoted.Spec.Template.Spec.Containers[0].Image; got != "web:v2" {
		t.Errorf("promotion image = %s, want web:v2", got)
	}
	if p.Spec.Template.Spec.Containers[0].Image != "web:v1" {
		t.Error("the live primary was modified")
	}
}

func TestDesiredHPATwinScalesThePrimaryWithTheUsersSpec(t *testing.T) {
	userHPA := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr.To[int32](2), MaxReplicas: 9,
		},
	}
	if !TargetsDeployment(userHPA, "web") || TargetsDeployment(userHPA, "api") {
		t.Fatal("TargetsDeployment is wrong")
	}
	twin := DesiredHPATwin(userHPA, nil, "web", "web-primary", metav1.OwnerReference{UID: "u1"})
	if twin.Name != "web-primary" || twin.Spec.ScaleTargetRef.Name != "web-primary" || twin.Spec.MaxReplicas != 9 {
		t.Errorf("twin = %s targeting %s max %d", twin.Name, twin.Spec.ScaleTargetRef.Name, twin.Spec.MaxReplicas)
	}
	if twin.Labels[config.PrimaryOfLabel] != "web" {
		t.Errorf("twin labels %v lack primary-of", twin.Labels)
	}
	if userHPA.Spec.ScaleTargetRef.Name != "web" {
		t.Error("the user's HPA was modified")
	}
}
