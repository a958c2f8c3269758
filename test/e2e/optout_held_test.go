//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// TestOptOutOfARejectedReleaseWaitsForAPromotedTemplate removes the label
// from a Deployment whose release was rejected (aborted), so its template
// is the rejected revision: the opt-out must not scale that template up
// and hand it all traffic. It waits, with a Warning Event, all traffic on
// the primary and the user's Deployment at 0; once the user sets the
// template back to the primary's revision, the opt-out finishes and the
// user's own pods serve that revision.
func TestOptOutOfARejectedReleaseWaitsForAPromotedTemplate(t *testing.T) {
	t.Parallel()
	a := newApp(t, "opt-out-held").StepInterval("10m").Create()
	rev := a.SetImage("example.com/web:v2")
	a.waitStep(rev, 1)
	a.Annotate(config.CommandAnnotation, "abort/1")
	a.waitPhase(rev, stepper.PhaseFailed)
	a.eventually("the canary to be idled after the rollback", func() error { return a.replicasErr(0) })

	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, config.EnabledLabel)
	_, err := env.kube.AppsV1().Deployments(a.ns).Patch(t.Context(), appName, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	must(t, "removing the label", err)

	held := func() error {
		if got := ptr.Deref(a.deployment(appName).Spec.Replicas, 1); got != 0 {
			return fmt.Errorf("the rejected template was scaled up to %d replicas", got)
		}
		if a.deployment(primaryName) == nil {
			return errors.New("the primary was deleted")
		}
		if vs := a.virtualService(appName); vs == nil || describeRoute(vs.Spec.Http[0].Route) != "primary" {
			return errors.New("the routes no longer send everything to the primary")
		}
		return nil
	}
	a.waitEvent(corev1.EventTypeWarning, stepper.ReasonOptOutBlocked, held)
	if err := held(); err != nil {
		t.Fatalf("after the Warning: %v", err)
	}

	a.SetImage(imageV1)
	a.eventually("the opt-out to finish", func() error {
		if a.deployment(primaryName) != nil {
			return errors.New("the primary still exists")
		}
		if _, ok := a.status(); ok {
			return errors.New("a status annotation is still there (VirtualService or Deployment)")
		}
		return availableErr(a.deployment(appName))
	})
	user := a.deployment(appName)
	if got := user.Spec.Template.Spec.Containers[0].Image; got != imageV1 {
		t.Errorf("the user's Deployment runs %s after the opt-out, want %s", got, imageV1)
	}
	if got := ptr.Deref(user.Spec.Replicas, 1); got != 2 {
		t.Errorf("the user's Deployment wants %d replicas after the opt-out, want the primary's 2", got)
	}
}
