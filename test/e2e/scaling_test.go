//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestUserScalingReachesThePrimaryAndTheHPAKeepsTheCanary scales the user's
// Deployment as kubectl scale does (the scale subresource), first while
// idle: the count reaches the primary, which serves the traffic, and the
// Deployment goes back to 0 (a Normal Event says so). Then, with the user's
// HPA in place, during a release: the HPA's count for the canary is kept
// until the release ends — the controller does not scale it back to the
// primary's. The local control plane has no metrics API, so the test plays
// the HPA's metric-driven decision with the same scale write the HPA
// makes; the HPA itself only keeps the count within its bounds.
func TestUserScalingReachesThePrimaryAndTheHPAKeepsTheCanary(t *testing.T) {
	t.Parallel()
	a := newApp(t, "scaling").Create()

	a.scale(3)
	a.waitEvent(corev1.EventTypeNormal, stepper.ReasonPrimaryScaled, func() error {
		user, primary := a.deployment(appName), a.deployment(primaryName)
		if ptr.Deref(user.Spec.Replicas, 1) == 0 && ptr.Deref(primary.Spec.Replicas, 1) != 3 {
			return fmt.Errorf("the Deployment was scaled back to 0 while the primary wants %d replicas, not the 3 asked for", ptr.Deref(primary.Spec.Replicas, 1))
		}
		return nil
	})
	a.eventually("the primary to run 3 replicas and the Deployment 0", func() error {
		if err := a.replicasErr(0); err != nil {
			return err
		}
		p := a.deployment(primaryName)
		if got := ptr.Deref(p.Spec.Replicas, 1); got != 3 {
			return fmt.Errorf("the primary wants %d replicas", got)
		}
		return availableErr(p)
	})

	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: appName, Namespace: a.ns},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: appName},
			MinReplicas:    ptr.To[int32](1), MaxReplicas: 5,
		},
	}
	must(t, "creating the HPA", create(t.Context(), env.kube.AutoscalingV2().HorizontalPodAutoscalers(a.ns), hpa))
	a.eventually("the HPA twin of the primary", func() error {
		_, err := env.kube.AutoscalingV2().HorizontalPodAutoscalers(a.ns).Get(t.Context(), primaryName, metav1.GetOptions{})
		return err
	})

	rev := a.SetImage("example.com/web:v2")
	a.waitStep(rev, 1)
	a.scale(4) // the HPA's decision for the canary's load
	a.waitStatus("the release to end with the HPA's count kept", func(stepper.Status) (bool, error) {
		user := a.deployment(appName)
		st, _ := a.status()
		replicas := ptr.Deref(user.Spec.Replicas, 1)
		switch {
		case st.Revision == rev && st.Phase == stepper.PhaseSucceeded:
			return true, nil
		case st.Revision == rev && (st.Phase == stepper.PhaseProgressing || st.Phase == stepper.PhasePromoting) && replicas != 4:
			return false, fmt.Errorf("%s step %d: the canary wants %d replicas, not the HPA's 4", st.Phase, st.Step, replicas)
		case st.Phase == stepper.PhaseFailed:
			return false, fmt.Errorf("the release failed: %s", st.Message)
		}
		return false, nil // looked at again at the next status or within a second
	})
	a.eventually("the canary to be idled after the release", func() error { return a.replicasErr(0) })
	if got := a.deployment(primaryName).Annotations[config.RevisionAnnotation]; got != rev {
		t.Errorf("the primary runs revision %s after the release, want %s", got, rev)
	}
}

// scale sets the user's Deployment's replicas through the scale
// subresource, as kubectl scale and the HPA do.
func (a *app) scale(n int32) {
	a.t.Helper()
	deployments := env.kube.AppsV1().Deployments(a.ns)
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		s, err := deployments.GetScale(a.t.Context(), appName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		s.Spec.Replicas = n
		_, err = deployments.UpdateScale(a.t.Context(), appName, s, metav1.UpdateOptions{})
		return err
	})
	must(a.t, fmt.Sprintf("scaling the Deployment to %d", n), err)
}
