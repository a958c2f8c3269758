package istio

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// subsetNames lists the subsets of dr in order.
func subsetNames(dr *networkingv1.DestinationRule) []string {
	var names []string
	for _, s := range dr.Spec.Subsets {
		names = append(names, s.GetName())
	}
	return names
}

func TestDesiredDestinationRuleSubsets(t *testing.T) {
	tests := map[string]struct {
		live      func(t *testing.T) *networkingv1.DestinationRule
		hash      string
		wantNames []string
	}{
		"a new DestinationRule without a hash has the primary only": {
			live: func(*testing.T) *networkingv1.DestinationRule { return nil }, wantNames: []string{"primary"},
		},
		"an empty hash removes the canary and keeps the order of the rest": {
			live: func(t *testing.T) *networkingv1.DestinationRule {
				dr := DesiredDestinationRule(loadDR(t, "user-dr.yaml"), shop, "old")
				dr.Spec.Subsets = append(dr.Spec.Subsets, &apinetworkingv1.Subset{Name: "v2"})
				return dr
			},
			wantNames: []string{"v1", "primary", "v2"},
		},
		"a new hash replaces the canary's selector in place": {
			live: func(t *testing.T) *networkingv1.DestinationRule {
				return DesiredDestinationRule(loadDR(t, "user-dr.yaml"), shop, "old")
			},
			hash: "new", wantNames: []string{"v1", "primary", "canary"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := DesiredDestinationRule(tc.live(t), shop, tc.hash)
			if diff := cmp.Diff(tc.wantNames, subsetNames(got)); diff != "" {
				t.Errorf("subsets (-want +got):\n%s", diff)
			}
			if !SubsetsReady(got, shop, tc.hash) {
				t.Errorf("SubsetsReady(desired, %q) = false", tc.hash)
			}
		})
	}
}

func TestDesiredDestinationRuleKeepsTheTrafficPolicyOfAUserSubsetNamedCanary(t *testing.T) {
	live := loadDR(t, "user-dr.yaml")
	live.Spec.Subsets[0].Name = config.SubsetCanary
	got := DesiredDestinationRule(live, shop, "abc")
	canary := got.Spec.Subsets[0]
	if canary.GetName() != config.SubsetCanary || canary.GetLabels()["pod-template-hash"] != "abc" || len(canary.GetLabels()) != 1 {
		t.Errorf("canary subset = %v, want labels {pod-template-hash: abc}", canary)
	}
	if canary.GetTrafficPolicy() == nil {
		t.Errorf("the subset's own trafficPolicy was dropped")
	}
}

func TestRestoredDestinationRule(t *testing.T) {
	user := loadDR(t, "user-dr.yaml")
	if got := RestoredDestinationRule(DesiredDestinationRule(user, shop, "abc"), shop); !DestinationRuleEqual(got, user) {
		t.Errorf("restored user DestinationRule differs from the original (-user +restored):\n%s",
			cmp.Diff(user.Spec.String(), got.Spec.String()))
	}
	if got := RestoredDestinationRule(DesiredDestinationRule(nil, shop, "abc"), shop); got != nil {
		t.Errorf("RestoredDestinationRule of an owned DestinationRule = %v, want nil (delete)", got)
	}
	if got := RestoredDestinationRule(nil, shop); got != nil {
		t.Errorf("RestoredDestinationRule(nil) = %v, want nil", got)
	}
}

func TestSubsetsReady(t *testing.T) {
	withCanary := DesiredDestinationRule(nil, shop, "abc")
	primaryOnly := DesiredDestinationRule(nil, shop, "")
	wrongPrimary := withCanary.DeepCopy()
	wrongPrimary.Spec.Subsets[0].Labels = map[string]string{"version": "v1"}
	tests := map[string]struct {
		dr   *networkingv1.DestinationRule
		hash string
		want bool
	}{
		"both subsets with the hash are ready":                     {dr: withCanary, hash: "abc", want: true},
		"the primary alone is ready when no hash is wanted":        {dr: primaryOnly, hash: "", want: true},
		"a canary subset is not needed to be ready without a hash": {dr: withCanary, hash: "", want: true},
		"a missing canary subset is not ready":                     {dr: primaryOnly, hash: "abc", want: false},
		"a canary subset selecting another hash is not ready":      {dr: withCanary, hash: "def", want: false},
		"a primary subset with other labels is not ready":          {dr: wrongPrimary, hash: "abc", want: false},
		"no DestinationRule is not ready":                          {dr: nil, hash: "", want: false},
		"a user DestinationRule not yet patched is not ready":      {dr: loadDR(t, "user-dr.yaml"), hash: "", want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := SubsetsReady(tc.dr, shop, tc.hash); got != tc.want {
				t.Errorf("SubsetsReady = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDestinationRuleEqual(t *testing.T) {
	base := DesiredDestinationRule(loadDR(t, "user-dr.yaml"), shop, "abc")
	other := base.DeepCopy()
	other.Spec.Subsets[2].Labels["pod-template-hash"] = "def"
	relabelled := base.DeepCopy()
	relabelled.Labels["team"] = "other"
	tests := map[string]struct {
		a, b *networkingv1.DestinationRule
		want bool
	}{
		"a copy is equal":             {a: base, b: base.DeepCopy(), want: true},
		"another canary hash differs": {a: base, b: other, want: false},
		"another label differs":       {a: base, b: relabelled, want: false},
		"nil differs from an object":  {a: base, b: nil, want: false},
		"nil equals nil":              {a: nil, b: nil, want: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := DestinationRuleEqual(tc.a, tc.b); got != tc.want {
				t.Errorf("DestinationRuleEqual = %v, want %v", got, tc.want)
			}
		})
	}
}
