//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// TestAPrimaryDeletedWhileIdleIsRecreatedAtItsCount deletes the primary of
// an idle canary of 3 replicas: the controller says so (a Warning Event, the
// status and meshcanary_primary_repairs_total), recreates it from the
// stable revision with its 3 replicas, not 1, and the next release runs to
// its end. The traffic pauses while the primary is gone: no pod can answer
// then (that outage is what the deletion causes and the repair ends), and
// the suite counts any request the mesh answers for lack of a pod.
func TestAPrimaryDeletedWhileIdleIsRecreatedAtItsCount(t *testing.T) {
	t.Parallel()
	spec := newApp(t, "primary-deleted")
	spec.replicas = 3
	a := spec.Create()
	old := a.deployment(primaryName)

	service := meshsim.ServiceRef{Namespace: a.ns, Name: appName}
	env.sim.SetTarget(meshsim.Target{Service: service})
	must(t, "deleting the primary", env.kube.AppsV1().Deployments(a.ns).Delete(t.Context(), primaryName, metav1.DeleteOptions{}))
	a.waitEvent(corev1.EventTypeWarning, stepper.ReasonPrimaryMissing, func() error { return nil })
	a.eventually("the primary to be recreated and available", func() error {
		p := a.deployment(primaryName)
		switch {
		case p == nil:
			return fmt.Errorf("no primary yet")
		case p.UID == old.UID:
			return fmt.Errorf("the old primary is still being deleted")
		case ptr.Deref(p.Spec.Replicas, 1) != 3:
			t.Fatalf("the recreated primary wants %d replicas, want the 3 it had", ptr.Deref(p.Spec.Replicas, 1))
		case p.Spec.Template.Spec.Containers[0].Image != imageV1:
			t.Fatalf("the recreated primary runs %s, want the stable %s", p.Spec.Template.Spec.Containers[0].Image, imageV1)
		}
		return availableErr(p)
	})
	env.sim.SetTarget(meshsim.Target{Service: service, Rate: spec.rate})
	a.waitStatus("the status to record the primary's return", func(s stepper.Status) (bool, error) {
		if s.Phase != stepper.PhaseReady {
			return false, fmt.Errorf("phase %s during the repair, want Ready", s.Phase)
		}
		return s.Reason == stepper.ReasonPrimaryRestored, nil
	})
	if n := repairsCounted(t, a.ns, "deleted"); n != 1 {
		t.Errorf("meshcanary_primary_repairs_total for %s = %g, want 1", a.ns, n)
	}

	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)
}

// repairsCounted reads meshcanary_primary_repairs_total of namespace ns
// and cause from the controller's /metrics.
func repairsCounted(t *testing.T, ns, cause string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + env.controller.MetricsAddr + "/metrics")
	must(t, "reading the controller's metrics", err)
	defer resp.Body.Close()
	want := fmt.Sprintf(`cause=%q`, cause)
	scan := bufio.NewScanner(resp.Body)
	for scan.Scan() {
		line := scan.Text()
		if strings.HasPrefix(line, "meshcanary_primary_repairs_total{") && strings.Contains(line, want) &&
			strings.Contains(line, fmt.Sprintf(`namespace=%q`, ns)) {
			var v float64
			_, err := fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v)
			must(t, "parsing "+line, err)
			return v
		}
	}
	return 0
}
