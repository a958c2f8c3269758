//go:build e2e

package e2e

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// event returns the first Event of the user's Deployment with reason, nil
// when there is none yet.
func (a *app) event(reason string) *corev1.Event {
	a.t.Helper()
	list, err := env.kube.CoreV1().Events(a.ns).List(a.t.Context(), metav1.ListOptions{
		FieldSelector: fmt.Sprintf("involvedObject.kind=Deployment,involvedObject.name=%s,reason=%s", appName, reason),
	})
	must(a.t, "listing Events", err)
	if len(list.Items) == 0 {
		return nil
	}
	return &list.Items[0]
}

// waitEvent waits for an Event of type typ and reason on the user's
// Deployment and returns it. meanwhile is checked at every look and fails
// the test at once when it returns an error: a state the wait must never
// pass through.
func (a *app) waitEvent(typ, reason string, meanwhile func() error) *corev1.Event {
	a.t.Helper()
	var e *corev1.Event
	a.eventually(fmt.Sprintf("a %s Event %s", typ, reason), func() error {
		if err := meanwhile(); err != nil {
			a.t.Fatalf("waiting for a %s Event %s: %v", typ, reason, err)
		}
		if e = a.event(reason); e == nil {
			return fmt.Errorf("no Event %s yet", reason)
		}
		if e.Type != typ {
			a.t.Fatalf("Event %s is %s, want %s: %s", reason, e.Type, typ, e.Message)
		}
		return nil
	})
	a.t.Logf("%s %s: %s", e.Type, e.Reason, strings.TrimSpace(e.Message))
	return e
}
