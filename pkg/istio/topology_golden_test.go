package istio

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestDesiredVirtualServiceLeavesWhatIsNotTheService(t *testing.T) {
	tests := map[string]string{
		"a root VirtualService's delegate routes and its route to another service stay as they are": "delegate-root.yaml",
		"a short host in istio-system is istio-system's service, not shop's":                        "gateway-vs-short.yaml",
	}
	for name, fixture := range tests {
		t.Run(name, func(t *testing.T) {
			live := loadVS(t, fixture)
			got := DesiredVirtualService(live, routing(50, 100))
			if !proto.Equal(&got.Spec, &live.Spec) {
				t.Errorf("DesiredVirtualService changed the spec:\n%v", got.Spec.String())
			}
			if routed, _ := ObserveRouting(got, shop); routed {
				t.Errorf("ObserveRouting says %s routes the service", fixture)
			}
		})
	}
}

func TestRestoreOfAGatewayVirtualServiceMatchesGoldenFile(t *testing.T) {
	patched := DesiredVirtualService(loadVS(t, "gateway-vs-fqdn.yaml"), routing(5, 100))
	checkGolden(t, "restored-gateway-vs", RestoredVirtualService(patched, shop))
}
