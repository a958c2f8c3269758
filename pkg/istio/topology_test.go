package istio

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/meshcanary/meshcanary/pkg/config"
)

func TestDiscover(t *testing.T) {
	home := loadVS(t, "user-vs-header-match.yaml") // shop/reviews-routes
	gateway := loadVS(t, "gateway-vs-fqdn.yaml")   // istio-system/public-web
	short := loadVS(t, "gateway-vs-short.yaml")    // istio-system/local-reviews
	root := loadVS(t, "delegate-root.yaml")        // istio-system/public-root
	child := loadVS(t, "delegate-child.yaml")      // shop/reviews-delegate
	frontend := loadVS(t, "mesh-vs-frontend.yaml")
	flagger := loadVS(t, "flagger-vs.yaml")
	mixed := loadVS(t, "user-vs-mixed.yaml")
	mixed.Namespace, mixed.Name = "istio-system", "mixed"
	mixed.Spec.Http = mixed.Spec.Http[:1] // only the 80/20 route
	mixed.Spec.Http[0].Route[0].Destination.Host = "reviews.shop"
	hidden := loadVS(t, "mesh-vs-frontend.yaml")
	hidden.Name, hidden.Spec.ExportTo = "hidden", []string{"~"}
	private := loadVS(t, "delegate-child.yaml")
	private.Spec.ExportTo = []string{"."}
	other := loadVS(t, "user-vs-fqdn.yaml")
	other.Namespace, other.Name = "istio-system", "other-deployment"
	other.Annotations = map[string]string{config.RoutesForAnnotation: "shop/ratings"}
	localDR := loadDR(t, "user-dr.yaml")
	localDR.Spec.ExportTo = []string{"."}
	gatewayRoutes := []string{`http[0] "reviews"`}
	gatewaySkipped := []string{`http[1] "legacy"`}
	childRoutes := []string{`http[0] "beta"`, `http[1] "default"`}

	tests := map[string]struct {
		all   []*networkingv1.VirtualService
		scope Scope
		want  []Reach
	}{
		"the home VirtualService is left to the caller": {
			all: []*networkingv1.VirtualService{home}, scope: Scope{Home: "reviews-routes"},
		},
		"a gateway VirtualService in an allowed namespace is split on its route to the FQDN, not on the shared one": {
			all:   []*networkingv1.VirtualService{home, gateway},
			scope: Scope{Home: "reviews-routes", Namespaces: []string{"istio-system"}},
			want: []Reach{{Namespace: "istio-system", Name: "public-web", Kind: Ingress, Verdict: Split,
				Routes: gatewayRoutes, Skipped: gatewaySkipped}},
		},
		"a gateway VirtualService in a namespace the operator does not allow is named, not split": {
			all:   []*networkingv1.VirtualService{home, gateway},
			scope: Scope{Home: "reviews-routes", Namespaces: []string{"gateways"}},
			want: []Reach{{Namespace: "istio-system", Name: "public-web", Kind: Ingress, Verdict: NotAllowed,
				Skipped: gatewaySkipped,
				Reason:  "meshcanary may not patch VirtualServices in namespace istio-system: the operator allows shop, gateways"}},
		},
		"every namespace is allowed by a star": {
			all:   []*networkingv1.VirtualService{frontend},
			scope: Scope{Namespaces: []string{"*"}},
			want: []Reach{{Namespace: "frontend", Name: "reviews-from-frontend", Kind: Mesh, Verdict: Split,
				Routes: []string{"http[0]"}}},
		},
		"a short host in another namespace is that namespace's service, as Istio resolves it": {
			all: []*networkingv1.VirtualService{short}, scope: Scope{Namespaces: []string{"istio-system"}},
		},
		"a delegate child in the app namespace is split and the root, with no destination to the service, is not listed": {
			all:   []*networkingv1.VirtualService{root, child},
			scope: Scope{},
			want: []Reach{{Namespace: "shop", Name: "reviews-delegate", Kind: Delegate, Verdict: Split,
				Routes: childRoutes, Roots: []string{"istio-system/public-root"}}},
		},
		"a delegate child not exported to its root's namespace has no root, as Istio ignores the delegation": {
			all: []*networkingv1.VirtualService{root, private},
			want: []Reach{{Namespace: "shop", Name: "reviews-delegate", Kind: Delegate, Verdict: Split,
				Routes: childRoutes}},
		},
		"a VirtualService exported nowhere routes nothing": {
			all: []*networkingv1.VirtualService{hidden}, scope: Scope{Namespaces: []string{"frontend"}},
		},
		"the list restricts which VirtualServices are split and names the others": {
			all: []*networkingv1.VirtualService{gateway, child},
			scope: Scope{Namespaces: []string{"istio-system"},
				Listed: []config.VirtualServiceRef{{Namespace: "istio-system", Name: "public-web"}}},
			want: []Reach{
				{Namespace: "istio-system", Name: "public-web", Kind: Ingress, Verdict: Split, Routes: gatewayRoutes, Skipped: gatewaySkipped},
				{Namespace: "shop", Name: "reviews-delegate", Kind: Delegate, Verdict: NotListed,
					Reason: "it is not in meshcanary.io/virtual-services"},
			},
		},
		"a listed VirtualService cannot grant a namespace the operator does not allow": {
			all:   []*networkingv1.VirtualService{gateway},
			scope: Scope{Listed: []config.VirtualServiceRef{{Namespace: "istio-system", Name: "public-web"}}},
			want: []Reach{{Namespace: "istio-system", Name: "public-web", Kind: Ingress, Verdict: NotAllowed,
				Skipped: gatewaySkipped,
				Reason:  "meshcanary may not patch VirtualServices in namespace istio-system: the operator allows shop"}},
		},
		"a listed VirtualService that does not exist or routes elsewhere is missing": {
			all: []*networkingv1.VirtualService{short},
			scope: Scope{Namespaces: []string{"istio-system"}, Listed: []config.VirtualServiceRef{
				{Namespace: "istio-system", Name: "local-reviews"}, {Name: "gone"}}},
			want: []Reach{
				{Namespace: "istio-system", Name: "local-reviews", Verdict: Missing, Reason: "routes nothing to reviews"},
				{Namespace: "shop", Name: "gone", Verdict: Missing, Reason: "does not exist"},
			},
		},
		"a VirtualService whose every route to the service also sends elsewhere cannot be split": {
			all: []*networkingv1.VirtualService{mixed}, scope: Scope{Namespaces: []string{"istio-system"}},
			want: []Reach{{Namespace: "istio-system", Name: "mixed", Kind: Mesh, Verdict: Unsafe,
				Skipped: []string{`http[0] "legacy-split"`},
				Reason:  `every route to reviews also sends elsewhere (http[0] "legacy-split"), and no exact split of such a route exists`}},
		},
		"a VirtualService another controller generates cannot be split": {
			all: []*networkingv1.VirtualService{flagger},
			want: []Reach{{Namespace: "shop", Name: "reviews-flagger", Kind: Ingress, Verdict: Unsafe,
				Reason: "it is controlled by Canary reviews, which would undo the weights"}},
		},
		"a VirtualService marked for another Deployment cannot be split": {
			all: []*networkingv1.VirtualService{other}, scope: Scope{Namespaces: []string{"istio-system"}},
			want: []Reach{{Namespace: "istio-system", Name: "other-deployment", Kind: Mesh, Verdict: Unsafe,
				Reason: "meshcanary.io/routes-for says meshcanary splits it for Deployment shop/ratings"}},
		},
		"subsets in a DestinationRule exported only to shop cannot serve a gateway VirtualService in istio-system": {
			all:   []*networkingv1.VirtualService{gateway},
			scope: Scope{Namespaces: []string{"istio-system"}, DestinationRule: localDR},
			want: []Reach{{Namespace: "istio-system", Name: "public-web", Kind: Ingress, Verdict: Unsafe,
				Skipped: gatewaySkipped,
				Reason:  "DestinationRule shop/reviews-policy, which holds the subsets, is not exported to namespace istio-system (exportTo: .)"}},
		},
		"subsets in a DestinationRule exported only to shop cannot serve a delegate whose root is in istio-system": {
			all:   []*networkingv1.VirtualService{root, child},
			scope: Scope{DestinationRule: localDR},
			want: []Reach{{Namespace: "shop", Name: "reviews-delegate", Kind: Delegate, Verdict: Unsafe,
				Roots:  []string{"istio-system/public-root"},
				Reason: "DestinationRule shop/reviews-policy, which holds the subsets, is not exported to namespace istio-system (exportTo: .)"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := Discover(tc.all, shop, tc.scope)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Discover (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReachMessage(t *testing.T) {
	tests := map[string]struct {
		reach Reach
		want  string
	}{
		"a split VirtualService needs no message": {
			reach: Reach{Namespace: "istio-system", Name: "public-web", Kind: Ingress, Verdict: Split},
		},
		"an ingress VirtualService in a namespace not allowed says where its traffic goes and why": {
			reach: Reach{Namespace: "istio-system", Name: "public-web", Kind: Ingress, Verdict: NotAllowed,
				Reason: "meshcanary may not patch VirtualServices in namespace istio-system: the operator allows shop"},
			want: "ingress VirtualService istio-system/public-web routes to reviews without weights: its traffic reaches " +
				"the canary by pod count (meshcanary may not patch VirtualServices in namespace istio-system: the operator allows shop)",
		},
		"a missing listed VirtualService names the annotation": {
			reach: Reach{Namespace: "shop", Name: "gone", Verdict: Missing, Reason: "does not exist"},
			want:  "VirtualService shop/gone in meshcanary.io/virtual-services does not exist",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.reach.Message("reviews"); got != tc.want {
				t.Errorf("Message = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestObserveRoutingAll(t *testing.T) {
	home := func(w int32) *networkingv1.VirtualService {
		return DesiredVirtualService(loadVS(t, "user-vs-header-match.yaml"), routing(w, 100))
	}
	gateway := func(w int32) *networkingv1.VirtualService {
		return DesiredVirtualService(loadVS(t, "gateway-vs-fqdn.yaml"), routing(w, 100))
	}
	tests := map[string]struct {
		vss        []*networkingv1.VirtualService
		wantRouted bool
		wantWeight int32
		wantRefs   []string
	}{
		"every VirtualService at the step's weight is the step applied": {
			vss: []*networkingv1.VirtualService{home(25), gateway(25)}, wantRouted: true, wantWeight: 25,
			wantRefs: []string{"canary", "primary"},
		},
		"one VirtualService still at the previous weight is not": {
			vss:      []*networkingv1.VirtualService{home(25), gateway(10)},
			wantRefs: []string{"canary", "primary"},
		},
		"one VirtualService not yet routed to the subsets is not": {
			vss:      []*networkingv1.VirtualService{home(25), loadVS(t, "gateway-vs-fqdn.yaml")},
			wantRefs: []string{"canary", "primary"},
		},
		"a rollback is applied once every VirtualService is back on the primary, and only then may the canary subset go": {
			vss: []*networkingv1.VirtualService{home(0), gateway(0)}, wantRouted: true, wantWeight: 0,
			wantRefs: []string{"primary"},
		},
		"no VirtualService is not routed": {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			routed, weight := ObserveRoutingAll(tc.vss, shop)
			if routed != tc.wantRouted || weight != tc.wantWeight {
				t.Errorf("ObserveRoutingAll = %v, %d; want %v, %d", routed, weight, tc.wantRouted, tc.wantWeight)
			}
			if diff := cmp.Diff(tc.wantRefs, sets.List(ReferencedSubsetsAll(tc.vss, shop)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ReferencedSubsetsAll (-want +got):\n%s", diff)
			}
		})
	}
}
