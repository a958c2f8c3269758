//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// gitopsRoutesName names the VirtualService kept in "Git".
const gitopsRoutesName = "web-gitops"

// gitopsRestoreBound is how long the controller may take to give a step
// its weights back after a GitOps re-apply. It measures one watch event
// and one reconcile; the bound is generous because the e2e suite shares
// two cores with a whole control plane (see the logged figure).
const gitopsRestoreBound = 10 * time.Second

// TestGitOpsReapplyMidReleaseIsUndoneAndKeepsTheUsersChange re-applies the
// user's VirtualService from its manifest in Git mid-release, with
// server-side apply under another field manager and forced conflicts, as
// Argo CD or Flux would: the route list goes back to the plain service,
// without the step's weights. The controller writes the weights back
// quickly, keeps the change the re-applied manifest brought (a new
// timeout), and the release then ends as it would have.
func TestGitOpsReapplyMidReleaseIsUndoneAndKeepsTheUsersChange(t *testing.T) {
	t.Parallel()
	a := newApp(t, "gitops-reapply").Steps("50").StepInterval("10m").
		Routes(gitopsVirtualService(nil), nil).Create()
	rev := a.SetImage("example.com/web:v2")
	a.waitStep(rev, 1)
	step := split(50, 50)
	a.eventually("the step's weights in the VirtualService", func() error { return a.routeErr(step) })

	// The manifest in Git, changed meanwhile: a timeout on the route.
	applied, at := a.applyAsGitOps(gitopsVirtualService(durationpb.New(7 * time.Second)))
	if got := describeRoute(applied.Spec.Http[0].Route); got != "web" {
		t.Fatalf("the re-apply left route %q, want the manifest's plain %q: the test would not exercise the fight", got, "web")
	}
	var restored *networkingv1.VirtualService
	for restored == nil {
		vs := a.virtualService(gitopsRoutesName)
		if describeRoute(vs.Spec.Http[0].Route) == step {
			restored = vs
			break
		}
		if time.Since(at) > waitTimeout {
			t.Fatalf("the step's weights %q were not restored after %s: route %q", step, waitTimeout, describeRoute(vs.Spec.Http[0].Route))
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(at)
	t.Logf("weights %q restored %s after the GitOps re-apply (bound %s)", step, took.Round(time.Millisecond), gitopsRestoreBound)
	if took > gitopsRestoreBound {
		t.Errorf("the weights were restored %s after the re-apply, want within %s", took.Round(time.Millisecond), gitopsRestoreBound)
	}
	if got := restored.Spec.Http[0].GetTimeout().AsDuration(); got != 7*time.Second {
		t.Errorf("the restored VirtualService has timeout %s, want the re-applied manifest's 7s", got)
	}

	a.Annotate(config.CommandAnnotation, "promote/1")
	a.waitPhase(rev, stepper.PhaseSucceeded)
	final := a.virtualService(gitopsRoutesName)
	if got := describeRoute(final.Spec.Http[0].Route); got != "primary" {
		t.Errorf("route after the promotion %q, want the primary alone", got)
	}
	if got := final.Spec.Http[0].GetTimeout().AsDuration(); got != 7*time.Second {
		t.Errorf("after the promotion the VirtualService has timeout %s, want the re-applied manifest's 7s", got)
	}
}

// gitopsVirtualService is the user's VirtualService as its manifest in Git
// has it: one route to the service, with timeout when not nil.
func gitopsVirtualService(timeout *durationpb.Duration) *networkingv1.VirtualService {
	vs := &networkingv1.VirtualService{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.istio.io/v1", Kind: "VirtualService"},
		ObjectMeta: metav1.ObjectMeta{Name: gitopsRoutesName},
	}
	vs.Spec.Hosts = []string{appName}
	vs.Spec.Http = []*apinetworkingv1.HTTPRoute{{
		Name:    "default",
		Route:   []*apinetworkingv1.HTTPRouteDestination{{Destination: &apinetworkingv1.Destination{Host: appName}}},
		Timeout: timeout,
	}}
	return vs
}

// applyAsGitOps applies vs with server-side apply as a GitOps tool does
// (field manager argocd-controller, conflicts forced) and returns the
// object the apiserver answered with and the time of the answer.
func (a *app) applyAsGitOps(vs *networkingv1.VirtualService) (*networkingv1.VirtualService, time.Time) {
	a.t.Helper()
	vs.Namespace = a.ns
	data, err := json.Marshal(vs)
	must(a.t, "encoding the manifest", err)
	out, err := env.istio.NetworkingV1().VirtualServices(a.ns).Patch(context.Background(), vs.Name, types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: "argocd-controller", Force: ptr.To(true)})
	must(a.t, "applying the VirtualService's manifest with server-side apply", err)
	return out, time.Now()
}

// routeErr says how the app's VirtualService's first http route differs
// from want (as describeRoute writes it).
func (a *app) routeErr(want string) error {
	if got := describeRoute(a.virtualService(gitopsRoutesName).Spec.Http[0].Route); got != want {
		return fmt.Errorf("route %q, want %q", got, want)
	}
	return nil
}
