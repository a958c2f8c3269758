package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// canaries are the Deployments of the status tests: shop has one of every
// kind of row, billing one canary, and shop/legacy is not opted in.
func canaries() []runtime.Object {
	stepStart := now.Add(-40 * time.Second)
	progressing := deployment("shop", "reviews", 3*time.Hour, &stepper.Status{
		Phase: stepper.PhaseProgressing, Step: 2, Steps: 5, Weight: 5, Total: 1000,
		StepStart: &stepStart, TransitionTime: stepStart, Reason: stepper.ReasonStepAdvanced,
		VirtualServices: []stepper.SplitVirtualService{{Ref: "shop/reviews", Kind: "home", Weight: 5}, {Ref: "istio-system/public-reviews", Kind: "ingress", Weight: 5}},
		Unsplit:         []string{"ingress VirtualService gateways/partner-reviews routes to reviews without weights: its traffic reaches the canary by pod count (meshcanary may not patch VirtualServices in namespace gateways: the operator allows shop)"},
		Verdicts: []gates.Verdict{
			{Gate: "error-rate max=1%", Result: gates.Pass, Value: ptr.To(0.002), Threshold: ptr.To(0.01)},
			{Gate: "latency p99<500ms", Result: gates.Hold, Reason: "12 of 100 requests"},
		},
	})
	failed := deployment("shop", "ratings", 49*time.Hour, &stepper.Status{
		Phase: stepper.PhaseFailed, Step: 3, Steps: 3, Weight: 0, Total: 100, FailedChecks: 2,
		Verdicts: []gates.Verdict{
			{Gate: "error-rate max=1%", Result: gates.Fail, Value: ptr.To(0.034), Threshold: ptr.To(0.01)},
			{Gate: "latency p99<500ms", Result: gates.Pass},
		},
		Reason: stepper.ReasonRolledBack, Message: "2 failed checks", TransitionTime: now.Add(-time.Hour),
	})
	ready := deployment("shop", "cart", 20*time.Minute, &stepper.Status{
		Phase: stepper.PhaseReady, Steps: 3, Total: 100, TransitionTime: now.Add(-19 * time.Minute),
	})
	invalidConfig := deployment("shop", "search", 90*time.Second, &stepper.Status{
		Phase: stepper.PhaseSucceeded, Step: 4, Steps: 4, Total: 10000, TransitionTime: now,
		ConfigError: `annotation meshcanary.io/steps="5,1": increasing percentages`,
	})
	unseen := deployment("shop", "checkout", 5*time.Second, nil)
	garbled := deployment("shop", "payments", 400*24*time.Hour, nil)
	garbled.Annotations["meshcanary.io/status"] = "{not json"
	legacy := deployment("shop", "legacy", time.Hour, nil)
	legacy.Labels = nil
	paused := deployment("billing", "invoices", 7*24*time.Hour, &stepper.Status{
		Phase: stepper.PhasePaused, PausedFrom: stepper.PhaseProgressing, Step: 1, Steps: 2, Weight: 5, Total: 100,
		Verdicts: []gates.Verdict{{Gate: "error-rate max=1%", Result: gates.Pass}}, TransitionTime: now,
	})
	return []runtime.Object{progressing, failed, ready, invalidConfig, unseen, garbled, legacy, paused}
}

func TestStatusGolden(t *testing.T) {
	tests := map[string]StatusOptions{
		"the table lists the canaries of the namespace sorted by name": {Namespace: "shop", Output: OutputTable},
		"the table of every namespace starts with a namespace column":  {AllNamespaces: true, Output: OutputTable},
		"json of one canary is the canary itself":                      {Namespace: "shop", Name: "reviews", Output: OutputJSON},
		"yaml of a namespace is a list of canaries":                    {Namespace: "billing", Output: OutputYAML},
		"json of an empty namespace is an empty list":                  {Namespace: "empty", Output: OutputJSON},
	}
	for name, o := range tests {
		t.Run(name, func(t *testing.T) {
			o.Now = clock
			var out, errOut bytes.Buffer
			if err := Status(context.Background(), clientsOf(t, canaries()...), &out, &errOut, o); err != nil {
				t.Fatalf("Status: %v", err)
			}
			if errOut.Len() > 0 {
				t.Errorf("unexpected stderr: %q", errOut.String())
			}
			checkGolden(t, "status-"+strings.ReplaceAll(name, " ", "-"), out.String())
		})
	}
}

func TestStatusErrors(t *testing.T) {
	tests := map[string]struct {
		o    StatusOptions
		want string
	}{
		"a missing deployment is named": {
			StatusOptions{Namespace: "shop", Name: "nope", Output: OutputTable},
			"deployment shop/nope not found",
		},
		"a deployment without the label is not a canary": {
			StatusOptions{Namespace: "shop", Name: "legacy", Output: OutputTable},
			"deployment shop/legacy is not a canary: it lacks the label meshcanary.io/canary=enabled",
		},
		"an unknown output format lists the valid ones": {
			StatusOptions{Namespace: "shop", Output: "wide"},
			`output format "wide": want one of table, json, yaml`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.o.Now = clock
			err := Status(context.Background(), clientsOf(t, canaries()...), &bytes.Buffer{}, &bytes.Buffer{}, tc.o)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestStatusOfAnEmptyNamespaceSaysSoOnStderr(t *testing.T) {
	var out, errOut bytes.Buffer
	o := StatusOptions{Namespace: "empty", Output: OutputTable, Now: clock}
	if err := Status(context.Background(), clientsOf(t, canaries()...), &out, &errOut, o); err != nil {
		t.Fatalf("Status: %v", err)
	}
	if out.Len() != 0 || errOut.String() != "No canaries found in namespace empty.\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}

func TestStatusIsReadFromTheVirtualServiceElseFromAnOlderControllersDeploymentAnnotation(t *testing.T) {
	onVS := deployment("shop", "reviews", time.Hour, &stepper.Status{Phase: stepper.PhaseProgressing, Step: 1, Steps: 2, Weight: 5, Total: 100})
	cl := clientsOf(t, onVS)
	// An older meshcanary kept the status on the Deployment; a stale copy
	// there never hides the VirtualService's.
	stale := load(t, cl, "shop", "reviews")
	setStatus(stale, stepper.Status{Phase: stepper.PhaseReady})
	if _, err := cl.Kube.AppsV1().Deployments("shop").Update(context.Background(), stale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	older := deployment("shop", "cart", time.Hour, nil)
	setStatus(older, stepper.Status{Phase: stepper.PhaseSucceeded, Steps: 3, Total: 100})
	if _, err := cl.Kube.AppsV1().Deployments("shop").Create(context.Background(), older, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cs, err := listCanaries(context.Background(), cl, "shop", "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]stepper.Phase{}
	for _, c := range cs {
		got[c.Name] = c.Status.Phase
	}
	want := map[string]stepper.Phase{"reviews": stepper.PhaseProgressing, "cart": stepper.PhaseSucceeded}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
}

func TestStatusOfACanaryWithoutStatusShowsItsInvalidConfiguration(t *testing.T) {
	d := deployment("shop", "reviews", time.Hour, nil)
	d.Annotations["meshcanary.io/steps"] = "5,abc"
	var out, errOut bytes.Buffer
	o := StatusOptions{Namespace: "shop", Output: OutputTable, Now: clock}
	if err := Status(context.Background(), clientsOf(t, d), &out, &errOut, o); err != nil {
		t.Fatalf("Status: %v", err)
	}
	if !strings.Contains(out.String(), "<invalid config>") {
		t.Errorf("table %q, want the phase <invalid config>", out.String())
	}
	want := `deployment shop/reviews: invalid configuration, nothing is released: annotation meshcanary.io/steps="5,abc"`
	if !strings.HasPrefix(errOut.String(), want) {
		t.Errorf("stderr %q, want it to start with %q", errOut.String(), want)
	}
}
