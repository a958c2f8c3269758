package meshsim

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestWorkloadNameIsTheOwningDeployment(t *testing.T) {
	owned := func(kind, name string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{Kind: kind, Name: name, Controller: ptr.To(true)}}
	}
	tests := map[string]struct {
		pod  *corev1.Pod
		want string
	}{
		"a primary pod reports <name>-primary":       {pod: primaryPod("a").obj(), want: "podinfo-primary"},
		"a canary pod reports the user's Deployment": {pod: canaryPod("a").obj(), want: "podinfo"},
		"a ReplicaSet without the hash suffix keeps its name": {
			pod:  &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: map[string]string{"pod-template-hash": "abc"}, OwnerReferences: owned("ReplicaSet", "bare")}},
			want: "bare",
		},
		"a StatefulSet pod reports the StatefulSet": {
			pod:  &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "db-0", OwnerReferences: owned("StatefulSet", "db")}},
			want: "db",
		},
		"a bare pod reports itself": {pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "debug"}}, want: "debug"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := WorkloadName(tc.pod); got != tc.want {
				t.Errorf("WorkloadName = %q, want %q", got, tc.want)
			}
		})
	}
}
