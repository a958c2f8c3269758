//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/demo/scenario"
)

// TestDemoScenario runs `make demo`'s own configuration (package
// test/demo/scenario: annotations, request rate, pods' error rate and
// latency) and each of its releases, each in its own app so they run in
// parallel: the good version must be promoted and the bad one rolled back,
// as the demo promises.
func TestDemoScenario(t *testing.T) {
	t.Parallel()
	for i, r := range scenario.Releases() {
		t.Run(fmt.Sprintf("release-%d", i+1), func(t *testing.T) {
			t.Parallel()
			spec := newApp(t, fmt.Sprintf("demo-%d", i+1)).Configure(scenario.Config()).Rate(scenario.Rate)
			for k, v := range scenario.Pod() {
				spec.Pod(k, v)
			}
			a := spec.Create()
			rev := a.Release(r.Apply)
			final := a.waitEnd(rev)
			t.Logf("release %d, %s: %s", i+1, r, scenario.Outcome(final))
			if err := r.Check(final); err != nil {
				t.Fatal(err)
			}
			if r.Promote {
				a.checkPromoted(rev, r.Image)
			} else {
				a.checkRolledBack(rev)
			}
		})
	}
}

// waitEnd waits until the release of revision rev ends, promoted, rolled
// back or reverted, and returns its final status.
func (a *app) waitEnd(rev string) stepper.Status {
	a.t.Helper()
	return a.waitStatus("the end of the release of revision "+rev, func(s stepper.Status) (bool, error) {
		return s.Revision == rev && (s.Phase == stepper.PhaseSucceeded || s.Phase == stepper.PhaseFailed), nil
	})
}

// checkPromoted checks the end of a promotion of revision rev: the primary
// runs it with image, all traffic is on the primary and the canary is
// idled.
func (a *app) checkPromoted(rev, image string) {
	a.t.Helper()
	primary := a.deployment(primaryName)
	if got := primary.Spec.Template.Spec.Containers[0].Image; got != image {
		a.t.Errorf("primary image after the promotion %q, want %q", got, image)
	}
	if got := primary.Annotations[config.RevisionAnnotation]; got != rev {
		a.t.Errorf("primary revision after the promotion %q, want %q", got, rev)
	}
	if got := describeRoute(a.virtualService(appName).Spec.Http[0].Route); got != "primary" {
		a.t.Errorf("route after the promotion %q, want the primary alone", got)
	}
	a.eventually("the canary to be idled after the promotion", func() error { return a.replicasErr(0) })
}
