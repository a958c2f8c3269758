package istio

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// world is the cluster as a simulated controller sees it while it drives one
// canary with this package: the live objects, the pods' readiness per
// pod-template-hash, and what the stepper wants.
type world struct {
	rng      *rand.Rand
	total    int32
	vs       *networkingv1.VirtualService
	dr       *networkingv1.DestinationRule
	user     *networkingv1.VirtualService // the user's VirtualService as they wrote it; nil if meshcanary created one
	revision int
	hash     string          // the canary's pod-template-hash; "" before the first release
	ready    map[string]bool // Ready pods per pod-template-hash
	weight   int32           // the stepper's canary weight
}

// reconcile does what the controller does with this package, in its order:
// the DestinationRule first, keeping the canary subset some route still
// names; then the VirtualService, giving the canary weight only when its
// subset is in the DestinationRule and its pods are Ready. It checks the
// invariants on every object it writes, and reports whether it wrote (an
// object differed from the live one).
func (w *world) reconcile() (wrote bool, err error) {
	named := ReferencedSubsets(w.vs, shop)
	keep := w.hash
	if named.Has(config.SubsetCanary) {
		keep = canaryHashOf(w.dr)
	}
	before := w.dr.DeepCopy()
	dr := DesiredDestinationRule(w.dr, shop, keep)
	if !DestinationRuleEqual(w.dr, before) {
		return false, fmt.Errorf("DesiredDestinationRule modified the live DestinationRule")
	}
	if again := DesiredDestinationRule(dr, shop, keep); !DestinationRuleEqual(again, dr) {
		return false, fmt.Errorf("DesiredDestinationRule is not idempotent")
	}
	for _, s := range []string{config.SubsetPrimary, config.SubsetCanary} {
		if namesSubset(w.vs, s) && !hasSubsetNamed(dr, s) {
			return false, fmt.Errorf("the DestinationRule drops subset %s while the VirtualService names it", s)
		}
	}
	if namesSubset(w.vs, config.SubsetCanary) && canaryHashOf(dr) != canaryHashOf(w.dr) {
		return false, fmt.Errorf("the DestinationRule moves the canary subset from hash %q to %q while the VirtualService names it",
			canaryHashOf(w.dr), canaryHashOf(dr))
	}
	wrote = !DestinationRuleEqual(dr, w.dr)
	w.dr = dr

	weight := int32(0)
	if w.hash != "" && w.ready[w.hash] && SubsetsReady(w.dr, shop, w.hash) {
		weight = w.weight
	}
	r := Routing{Target: shop, Weight: weight, Total: w.total}
	liveVS := w.vs.DeepCopy()
	vs := DesiredVirtualService(w.vs, r)
	if !VirtualServiceEqual(w.vs, liveVS) {
		return false, fmt.Errorf("DesiredVirtualService modified the live VirtualService")
	}
	if again := DesiredVirtualService(vs, r); !VirtualServiceEqual(again, vs) {
		return false, fmt.Errorf("DesiredVirtualService is not idempotent")
	}
	if err := w.checkWritten(vs, weight); err != nil {
		return false, err
	}
	wrote = wrote || !VirtualServiceEqual(vs, w.vs)
	w.vs = vs
	return wrote, nil
}

// settle reconciles until nothing is written, as the controller's requeues
// would, and checks that the canary then has the stepper's weight if its
// pods are Ready, else none. Three writing rounds always suffice: the first
// may route the primary alone, the second move the canary subset to the new
// hash, the third route the new canary; the fourth writes nothing.
func (w *world) settle() error {
	for range 4 {
		wrote, err := w.reconcile()
		if err != nil {
			return err
		}
		if !wrote {
			want := int32(0)
			if w.hash != "" && w.ready[w.hash] {
				want = w.weight
			}
			if _, got := ObserveRouting(w.vs, shop); got != want {
				return fmt.Errorf("settled at canary weight %d, want %d", got, want)
			}
			return nil
		}
	}
	return fmt.Errorf("still writing after 4 reconciles")
}

// checkWritten asserts the invariants of a VirtualService about to be
// written with canary weight.
func (w *world) checkWritten(vs *networkingv1.VirtualService, weight int32) error {
	if err := checkWeights(vs, w.total); err != nil {
		return err
	}
	for _, s := range []string{config.SubsetPrimary, config.SubsetCanary} {
		if namesSubset(vs, s) && !hasSubsetNamed(w.dr, s) {
			return fmt.Errorf("the VirtualService names subset %s, missing from the DestinationRule", s)
		}
	}
	if namesSubset(vs, config.SubsetCanary) {
		if h := canaryHashOf(w.dr); !w.ready[h] {
			return fmt.Errorf("the VirtualService names the canary subset (hash %q) which has no Ready pods", h)
		}
	}
	if routed, got := ObserveRouting(vs, shop); !routed || got != weight {
		return fmt.Errorf("ObserveRouting = (%v, %d), want (true, %d)", routed, got, weight)
	}
	if w.user != nil {
		if got, want := SkippedRoutes(vs, shop), SkippedRoutes(w.user, shop); !slices.Equal(got, want) {
			return fmt.Errorf("skipped routes changed from %v to %v", want, got)
		}
	}
	return nil
}

// checkWeights asserts that every route for the service is the primary
// alone without weight, or the primary and canary with non-negative weights
// summing to total.
func checkWeights(vs *networkingv1.VirtualService, total int32) error {
	var routes [][]int32
	for _, route := range vs.Spec.Http {
		if splittable(route.Route, shop) {
			routes = append(routes, weightsOf(route.Route))
		}
	}
	for _, route := range vs.Spec.Tcp {
		if splittable(route.Route, shop) {
			routes = append(routes, weightsOf(route.Route))
		}
	}
	for _, route := range vs.Spec.Tls {
		if splittable(route.Route, shop) {
			routes = append(routes, weightsOf(route.Route))
		}
	}
	for _, ws := range routes {
		switch {
		case len(ws) == 1 && ws[0] == 0:
		case len(ws) == 2 && ws[0] >= 0 && ws[1] > 0 && ws[0]+ws[1] == total:
		default:
			return fmt.Errorf("route weights %v are neither the primary alone nor a pair summing to %d", ws, total)
		}
	}
	return nil
}

func weightsOf[D routeDestination](dsts []D) []int32 {
	var ws []int32
	for _, d := range dsts {
		ws = append(ws, d.GetWeight())
	}
	return ws
}

// optOut hands traffic back: the VirtualService first, then the
// DestinationRule once no route names meshcanary's subsets.
func (w *world) optOut() error {
	vs := RestoredVirtualService(w.vs, shop)
	if (vs == nil) != (w.user == nil) {
		return fmt.Errorf("RestoredVirtualService returned %v for a VirtualService the user wrote: %v", vs, w.user != nil)
	}
	if namesSubset(vs, config.SubsetPrimary) || namesSubset(vs, config.SubsetCanary) {
		return fmt.Errorf("the restored VirtualService still names meshcanary's subsets")
	}
	if w.user != nil && !proto.Equal(&vs.Spec, &w.user.Spec) {
		return fmt.Errorf("the restored VirtualService differs from the user's:\n got %v\nwant %v", &vs.Spec, &w.user.Spec)
	}
	dr := RestoredDestinationRule(w.dr, shop)
	if dr != nil && (hasSubsetNamed(dr, config.SubsetPrimary) || hasSubsetNamed(dr, config.SubsetCanary)) {
		return fmt.Errorf("the restored DestinationRule keeps meshcanary's subsets")
	}
	return nil
}

// step applies one random event: a new revision, a change in the canary's
// readiness, a new weight from the stepper (a step, promotion or rollback),
// or a user's edit adding a route.
func (w *world) step() {
	switch w.rng.IntN(5) {
	case 0:
		w.revision++
		w.hash = fmt.Sprintf("hash%d", w.revision)
		w.weight = 0
	case 1:
		w.ready[w.hash] = w.rng.IntN(3) > 0
	case 2:
		w.weight = w.rng.Int32N(w.total + 1)
	case 3:
		w.weight = 0
	case 4:
		if w.user == nil {
			return
		}
		route := randomUserVirtualService(w.rng).Spec.Http[0]
		w.vs = w.vs.DeepCopy()
		w.vs.Spec.Http = append(w.vs.Spec.Http, route)
		w.user.Spec.Http = append(w.user.Spec.Http, proto.CloneOf(route))
	}
}

func TestEveryWrittenVirtualServiceKeepsTheTrafficInvariants(t *testing.T) {
	const sequences, steps = 200, 40
	for seed := range uint64(sequences) {
		rng := rand.New(rand.NewPCG(seed, 2))
		w := &world{rng: rng, total: pick(rng, []int32{100, 1000, 10000}), ready: map[string]bool{}}
		if rng.IntN(4) > 0 {
			w.user = randomUserVirtualService(rng)
			w.vs = w.user.DeepCopy()
		}
		if rng.IntN(2) == 0 {
			w.dr = &networkingv1.DestinationRule{}
			w.dr.Name, w.dr.Namespace, w.dr.Spec.Host = "user-policy", shop.Namespace, pick(rng, serviceHosts)
		}
		for i := range steps {
			w.step()
			if err := w.settle(); err != nil {
				t.Fatalf("seed %d, step %d: %v", seed, i, err)
			}
		}
		if err := w.optOut(); err != nil {
			t.Fatalf("seed %d, opt-out: %v", seed, err)
		}
	}
}

func canaryHashOf(dr *networkingv1.DestinationRule) string {
	for _, s := range dr.Spec.GetSubsets() {
		if s.GetName() == config.SubsetCanary {
			return s.GetLabels()["pod-template-hash"]
		}
	}
	return ""
}

func hasSubsetNamed(dr *networkingv1.DestinationRule, name string) bool {
	for _, s := range dr.Spec.GetSubsets() {
		if s.GetName() == name {
			return true
		}
	}
	return false
}

// namesSubset reports whether any destination or mirror of vs sends to the
// service's subset; the test's own oracle, independent of ReferencedSubsets.
func namesSubset(vs *networkingv1.VirtualService, subset string) bool {
	if vs == nil {
		return false
	}
	var dests []*apinetworkingv1.Destination
	for _, r := range vs.Spec.Http {
		for _, d := range r.Route {
			dests = append(dests, d.GetDestination())
		}
		dests = append(dests, r.GetMirror())
		for _, m := range r.Mirrors {
			dests = append(dests, m.GetDestination())
		}
	}
	for _, r := range vs.Spec.Tcp {
		for _, d := range r.Route {
			dests = append(dests, d.GetDestination())
		}
	}
	for _, r := range vs.Spec.Tls {
		for _, d := range r.Route {
			dests = append(dests, d.GetDestination())
		}
	}
	return slices.ContainsFunc(dests, func(d *apinetworkingv1.Destination) bool {
		return MatchesHost(d.GetHost(), shop) && d.GetSubset() == subset
	})
}
