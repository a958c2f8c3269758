package meshsim

import "testing"

func TestServiceOfResolvesIstioHosts(t *testing.T) {
	tests := map[string]struct {
		host   string
		want   ServiceRef
		wantOK bool
	}{
		"a short name is in the object's namespace": {host: "podinfo", want: podinfo, wantOK: true},
		"name.namespace names another namespace":    {host: "podinfo.web", want: ServiceRef{"web", "podinfo"}, wantOK: true},
		"a cluster FQDN is a service":               {host: "podinfo.web.svc.cluster.local", want: ServiceRef{"web", "podinfo"}, wantOK: true},
		"an external host is not a service":         {host: "api.example.com"},
		"a wildcard is not a service":               {host: "*.shop.svc.cluster.local"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := serviceOf(tc.host, ns)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("serviceOf(%q) = %v, %v; want %v, %v", tc.host, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
