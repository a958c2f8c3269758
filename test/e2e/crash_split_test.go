//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// bakeTolerance is how much earlier than killStepInterval after the
// ingress VirtualService was seen with a step's weight the kill test
// accepts to see the step complete: the two watch events reach the test
// at their own times. The step's bake time counts from the decision, which
// the home VirtualService carries; the ingress one is written right after
// it, so a step also completes earlier by as long as the ingress was seen
// after the home with the weight, when no cut fell between the two (a
// loaded API server answered a write in 0.64 s once). A cut between them
// loses the ingress write: the step must then start again once the
// ingress carries the weight, and no such allowance is made.
const bakeTolerance = 500 * time.Millisecond

// splitRoutes are the VirtualServices of a kill-test app released with a
// gateway, as the user wrote them: the user's own for the mesh (the home,
// which holds the status) and an ingress one of istio-system bound to a
// gateway, whose versions watch records.
type splitRoutes struct {
	home, ingress *networkingv1.VirtualService
	watch         *vsWatch
}

// startSplitRoutes creates the ingress VirtualService for the app of
// namespace ns, removed at the end of the test, and starts watching it;
// the home one is created with the app (appSpec.Routes).
func startSplitRoutes(t *testing.T, ns string) *splitRoutes {
	t.Helper()
	ensureNamespace(t, gatewayNamespace)
	ingress := ingressVirtualService(gatewayNamespace, "public-"+ns, ns)
	vss := env.istio.NetworkingV1().VirtualServices(gatewayNamespace)
	must(t, "creating the ingress VirtualService", create(t.Context(), vss, ingress.DeepCopy()))
	t.Cleanup(func() { _ = vss.Delete(context.Background(), ingress.Name, metav1.DeleteOptions{}) })
	return &splitRoutes{home: userMeshVirtualService(), ingress: ingress, watch: watchVirtualService(t, gatewayNamespace, ingress.Name)}
}

// userMeshVirtualService is the user's own VirtualService for the app in
// the mesh (userVirtualService without its tcp route: the kill test's app
// serves http only).
func userMeshVirtualService() *networkingv1.VirtualService {
	vs := userVirtualService()
	vs.Spec.Tcp = nil
	return vs
}

// timedWeight is the canary weight one version of a VirtualService routes,
// and when the test saw it.
type timedWeight struct {
	At     time.Time
	Weight int32
}

// check says what is wrong with the VirtualServices during run, whose
// versions of the home and the ingress VirtualService are home and
// ingress; "" when nothing is. Both keep every field of the user's (folding
// meshcanary's destinations back gives the user's spec; labels and
// annotations kept); the ingress one takes the home one's weights (all of
// them in a promotion; some may be skipped on the way to a rollback) and
// never moves back but to 0, nor up once the rollback is decided; a step
// completes only while the ingress VirtualService carries its weight, and
// not before it has carried it for the step's bake time; and the canary is
// scaled down only once both route to the primary alone.
func (r *splitRoutes) check(a *app, run killRun, home, ingress []vsVersion) string {
	for _, c := range []struct {
		original *networkingv1.VirtualService
		versions []vsVersion
	}{{r.home, home}, {r.ingress, ingress}} {
		if msg := keptUserFields(c.original, c.versions); msg != "" {
			return msg
		}
	}
	target := istio.Target{Namespace: a.ns, Service: appName, Deployment: appName}
	hw, iw := timedWeights(home, target), timedWeights(ingress, target)
	if msg := weightRegression(weightsOf(iw)); msg != "" {
		return "ingress VirtualService: " + msg
	}
	hs, is := trimZeros(slices.Compact(weightsOf(hw))), trimZeros(slices.Compact(weightsOf(iw)))
	if run.final.Phase == stepper.PhaseSucceeded && !slices.Equal(hs, is) || !isSubsequence(is, hs) {
		return fmt.Sprintf("the ingress VirtualService took canary weights %v, the home one %v", is, hs)
	}
	for _, w := range iw {
		if !run.decidedAt.IsZero() && w.At.After(run.decidedAt) && w.Weight > lastBefore(iw, w.At) {
			return fmt.Sprintf("the ingress VirtualService got canary weight %d after the rollback was decided (weights %v)", w.Weight, weightsOf(iw))
		}
	}
	if msg := stepsCompleteOnBoth(a, run, killStepInterval, hw, iw); msg != "" {
		return msg
	}
	return scaledDownAfterBoth(a, run, hw, iw)
}

// stepsCompleteOnBoth says which step of run completed (the status moved
// to the next step or to promotion) while the ingress VirtualService did
// not carry its weight, or less than bake after it did (see
// bakeTolerance); hw and iw are the home and the ingress VirtualService's
// weights.
func stepsCompleteOnBoth(a *app, run killRun, bake time.Duration, hw, iw []timedWeight) string {
	var statuses []statusVersion
	for _, s := range a.rec.statusHistory() {
		if !s.At.Before(run.started) && s.Status.Revision == run.rev {
			statuses = append(statuses, s)
		}
	}
	for i := 1; i < len(statuses); i++ {
		prev, next := statuses[i-1].Status, statuses[i].Status
		if prev.Phase != stepper.PhaseProgressing || prev.Step < 1 ||
			!(next.Phase == stepper.PhaseProgressing && next.Step > prev.Step || next.Phase == stepper.PhasePromoting) {
			continue
		}
		at := statuses[i].At
		j := slices.IndexFunc(iw, func(w timedWeight) bool { return w.At.After(at) })
		if j < 0 {
			j = len(iw)
		}
		if j == 0 || iw[j-1].Weight != prev.Weight {
			return fmt.Sprintf("step %d completed while the ingress VirtualService did not carry its weight %d (ingress weights %v)",
				prev.Step, prev.Weight, weightsOf(iw))
		}
		since := j - 1
		for since > 0 && iw[since-1].Weight == prev.Weight {
			since--
		}
		behind := ingressBehindHome(run, hw, iw[since], at)
		if baked := at.Sub(iw[since].At); baked < bake-bakeTolerance-behind {
			return fmt.Sprintf("step %d completed %s after the ingress VirtualService was seen with its weight %d (%s after the home one, no cut between); the step's bake time is %s",
				prev.Step, baked.Round(time.Millisecond), prev.Weight, behind.Round(time.Millisecond), bake)
		}
	}
	return ""
}

// ingressBehindHome is how long after the home VirtualService the ingress
// one was seen with the weight it got at in (the step completing at done):
// the latency of its write, which follows the home's in the same
// reconcile. It is 0 when a cut fell between the two (the ingress write
// was lost, and the step must start again once it is made) or when the
// home was not seen with the weight before.
func ingressBehindHome(run killRun, hw []timedWeight, in timedWeight, done time.Time) time.Duration {
	j := slices.IndexFunc(hw, func(w timedWeight) bool { return w.Weight == in.Weight && !w.At.After(in.At) })
	if j < 0 || hw[j].At.After(done) {
		return 0
	}
	for k := j + 1; k < len(hw) && hw[k].Weight == in.Weight && !hw[k].At.After(in.At); k++ {
		j = k // the last version before the ingress's carrying the weight: a restarted step writes the home again
	}
	if !run.cutAt.IsZero() && !run.cutAt.Before(hw[j].At.Add(-bakeTolerance)) && run.cutAt.Before(in.At) {
		return 0
	}
	return in.At.Sub(hw[j].At)
}

// scaledDownAfterBoth says whether run's canary was scaled down before the
// home or the ingress VirtualService routed to the primary alone.
func scaledDownAfterBoth(a *app, run killRun, hw, iw []timedWeight) string {
	var down time.Time
	replicas := a.rec.replicasHistory()
	for i := 1; i < len(replicas); i++ {
		if !replicas[i].At.Before(run.started) && replicas[i].Replicas == 0 && replicas[i-1].Replicas > 0 {
			down = replicas[i].At
		}
	}
	if down.IsZero() {
		return "the canary was not scaled down at the end of the release"
	}
	for name, ws := range map[string][]timedWeight{"home": hw, "ingress": iw} {
		i := len(ws)
		for i > 0 && ws[i-1].Weight == 0 {
			i--
		}
		if i == len(ws) || !ws[i].At.Before(down) {
			return fmt.Sprintf("the canary was scaled down before the %s VirtualService routed to the primary alone (weights %v)", name, weightsOf(ws))
		}
	}
	return ""
}

// keptUserFields says which version of a VirtualService differs from the
// user's original in a field of the user's.
func keptUserFields(original *networkingv1.VirtualService, versions []vsVersion) string {
	for _, v := range versions {
		name := original.Name
		if v.VS == nil {
			return "the user's VirtualService " + name + " was deleted"
		}
		if folded := foldVirtualService(&v.VS.Spec); !proto.Equal(&original.Spec, folded) {
			return fmt.Sprintf("a version of VirtualService %s, meshcanary's destinations folded back, differs from the user's: %v, want %v", name, folded, &original.Spec)
		}
		for k, val := range original.Labels {
			if v.VS.Labels[k] != val {
				return fmt.Sprintf("VirtualService %s lost its label %s=%s: %v", name, k, val, v.VS.Labels)
			}
		}
		for k, val := range original.Annotations {
			if v.VS.Annotations[k] != val {
				return fmt.Sprintf("VirtualService %s lost its annotation %s=%s: %v", name, k, val, v.VS.Annotations)
			}
		}
	}
	return ""
}

// timedWeights is the canary weight of every version in versions.
func timedWeights(versions []vsVersion, target istio.Target) []timedWeight {
	var out []timedWeight
	for _, v := range versions {
		if v.VS != nil {
			_, w := istio.ObserveRouting(v.VS, target)
			out = append(out, timedWeight{At: v.At, Weight: w})
		}
	}
	return out
}

// weightsOf lists the weight of each of ws.
func weightsOf(ws []timedWeight) []int32 {
	return mapped(ws, func(w timedWeight) int32 { return w.Weight })
}

// lastBefore is the weight of the last of ws seen before at, 0 when none.
func lastBefore(ws []timedWeight, at time.Time) int32 {
	w := int32(0)
	for _, v := range ws {
		if v.At.Before(at) {
			w = v.Weight
		}
	}
	return w
}

// trimZeros drops the leading zeros of ws: the home VirtualService's
// status-only writes before step 1.
func trimZeros(ws []int32) []int32 {
	for len(ws) > 0 && ws[0] == 0 {
		ws = ws[1:]
	}
	return ws
}
