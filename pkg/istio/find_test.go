package istio

import (
	"errors"
	"strings"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

func TestFindVirtualService(t *testing.T) {
	headerMatch := loadVS(t, "user-vs-header-match.yaml")
	gateway := loadVS(t, "user-vs-name-ns.yaml") // hosts books.example.com
	fqdn := loadVS(t, "user-vs-fqdn.yaml")
	elsewhere := loadVS(t, "user-vs-fqdn.yaml")
	elsewhere.Namespace = "other"
	created := DesiredVirtualService(nil, Routing{Target: shop, Hosts: []string{"reviews.example.com"}})
	tests := map[string]struct {
		all     []*networkingv1.VirtualService
		name    string
		want    *networkingv1.VirtualService
		wantErr error
	}{
		"a named VirtualService is found by name even when its hosts do not include the service": {
			all: []*networkingv1.VirtualService{headerMatch, gateway}, name: "reviews-gateway", want: gateway,
		},
		"a named VirtualService that does not exist is an error": {
			all: []*networkingv1.VirtualService{headerMatch}, name: "missing", wantErr: ErrNotFound,
		},
		"the only VirtualService whose hosts include the service is found": {
			all: []*networkingv1.VirtualService{gateway, fqdn}, want: fqdn,
		},
		"none gives nil": {
			all: []*networkingv1.VirtualService{gateway, elsewhere},
		},
		"two for the service are ambiguous": {
			all: []*networkingv1.VirtualService{headerMatch, fqdn}, wantErr: ErrAmbiguous,
		},
		"one meshcanary created with other hosts is found by its annotation": {
			all: []*networkingv1.VirtualService{gateway, created}, want: created,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := FindVirtualService(tc.all, shop, tc.name)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("found %v, want %v", objName(got), objName(tc.want))
			}
		})
	}
}

func TestFindVirtualServiceNamesTheAmbiguousOnes(t *testing.T) {
	_, err := FindVirtualService([]*networkingv1.VirtualService{loadVS(t, "user-vs-fqdn.yaml"), loadVS(t, "user-vs-tcp.yaml")}, shop, "")
	if err == nil || !strings.Contains(err.Error(), "reviews-fqdn, reviews-tcp") {
		t.Errorf("error = %v, want one naming reviews-fqdn, reviews-tcp", err)
	}
}

func TestFindDestinationRule(t *testing.T) {
	user := loadDR(t, "user-dr.yaml")
	created := DesiredDestinationRule(nil, shop, "")
	other := loadDR(t, "user-dr.yaml")
	other.Name, other.Spec.Host = "ratings", "ratings"
	elsewhere := loadDR(t, "user-dr.yaml")
	elsewhere.Namespace = "other"
	tests := map[string]struct {
		all     []*networkingv1.DestinationRule
		want    *networkingv1.DestinationRule
		wantErr error
	}{
		"the user's DestinationRule for the FQDN host is found": {all: []*networkingv1.DestinationRule{other, user}, want: user},
		"one meshcanary created is found":                       {all: []*networkingv1.DestinationRule{created, other}, want: created},
		"none gives nil":                                        {all: []*networkingv1.DestinationRule{other, elsewhere}},
		"two for the host are ambiguous":                        {all: []*networkingv1.DestinationRule{user, created}, wantErr: ErrAmbiguous},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := FindDestinationRule(tc.all, shop)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("found %v, want %v", objName(got), objName(tc.want))
			}
		})
	}
}

// objName is an object's name, or "nil".
func objName[T interface{ GetName() string }](o T) string {
	var zero T
	if any(o) == any(zero) {
		return "nil"
	}
	return o.GetName()
}
