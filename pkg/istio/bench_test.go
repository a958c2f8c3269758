package istio

import "testing"

func BenchmarkDesiredVirtualServiceOfAUserVirtualService(b *testing.B) {
	live := loadVS(b, "user-vs-header-match.yaml")
	r := routing(5, 1000)
	for b.Loop() {
		DesiredVirtualService(live, r)
	}
}

func BenchmarkDesiredDestinationRuleOfAUserDestinationRule(b *testing.B) {
	live := loadDR(b, "user-dr.yaml")
	for b.Loop() {
		DesiredDestinationRule(live, shop, "7d9f8c6b5")
	}
}
