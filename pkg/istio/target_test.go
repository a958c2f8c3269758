package istio

import "testing"

func TestMatchesHost(t *testing.T) {
	tests := map[string]struct {
		host string
		want bool
	}{
		"the short name matches":                           {host: "reviews", want: true},
		"name.namespace matches":                           {host: "reviews.shop", want: true},
		"name.namespace.svc matches":                       {host: "reviews.shop.svc", want: true},
		"the cluster.local FQDN matches":                   {host: "reviews.shop.svc.cluster.local", want: true},
		"another namespace does not match":                 {host: "reviews.other.svc.cluster.local", want: false},
		"another service does not match":                   {host: "ratings", want: false},
		"a service whose name extends ours does not match": {host: "reviews-v2", want: false},
		"a wildcard does not match":                        {host: "*.shop.svc.cluster.local", want: false},
		"an external host does not match":                  {host: "reviews.example.com", want: false},
		"an empty host does not match":                     {host: "", want: false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := MatchesHost(tc.host, shop); got != tc.want {
				t.Errorf("MatchesHost(%q) = %v, want %v", tc.host, got, tc.want)
			}
		})
	}
}
