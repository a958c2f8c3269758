package workload

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestLastProgressAndTimedOutReadTheDeploymentControllersConditions(t *testing.T) {
	t0 := time.Date(2025, time.March, 3, 9, 0, 0, 0, time.UTC)
	early, late := t0, t0.Add(time.Minute)
	condition := func(typ appsv1.DeploymentConditionType, status corev1.ConditionStatus, reason string, at time.Time) appsv1.DeploymentCondition {
		return appsv1.DeploymentCondition{Type: typ, Status: status, Reason: reason,
			LastUpdateTime: metav1.NewTime(at), LastTransitionTime: metav1.NewTime(early)}
	}
	for name, tc := range map[string]struct {
		conditions   []appsv1.DeploymentCondition
		wantProgress time.Time
		wantTimedOut bool
	}{
		"no conditions, no progress": {},
		"a rollout's progress is the Progressing condition's update": {
			conditions: []appsv1.DeploymentCondition{
				condition(appsv1.DeploymentProgressing, corev1.ConditionTrue, "ReplicaSetUpdated", late),
				condition(appsv1.DeploymentAvailable, corev1.ConditionTrue, "MinimumReplicasAvailable", early)},
			wantProgress: late,
		},
		"a scale-up from zero is reported only by the Available condition": {
			conditions: []appsv1.DeploymentCondition{
				condition(appsv1.DeploymentProgressing, corev1.ConditionTrue, "NewReplicaSetAvailable", early),
				condition(appsv1.DeploymentAvailable, corev1.ConditionFalse, "MinimumReplicasUnavailable", late)},
			wantProgress: late,
		},
		"other conditions are no progress": {
			conditions: []appsv1.DeploymentCondition{condition(appsv1.DeploymentReplicaFailure, corev1.ConditionTrue, "FailedCreate", late)},
		},
		"the Deployment's own deadline exceeded": {
			conditions:   []appsv1.DeploymentCondition{condition(appsv1.DeploymentProgressing, corev1.ConditionFalse, "ProgressDeadlineExceeded", early)},
			wantProgress: early, wantTimedOut: true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			d := &appsv1.Deployment{Status: appsv1.DeploymentStatus{Conditions: tc.conditions}}
			if got := LastProgress(d); !got.Equal(tc.wantProgress) {
				t.Errorf("LastProgress = %v, want %v", got, tc.wantProgress)
			}
			if got := !TimedOut(d).IsZero(); got != tc.wantTimedOut {
				t.Errorf("timed out = %v, want %v", got, tc.wantTimedOut)
			}
		})
	}
}
