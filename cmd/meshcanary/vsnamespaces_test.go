package main

import (
	"slices"
	"testing"
)

func TestParseVirtualServiceNamespaces(t *testing.T) {
	cases := map[string]struct {
		value   string
		want    []string
		wantErr bool
	}{
		"empty allows none besides the Deployment's own": {value: "", want: nil},
		"a list of namespaces":                           {value: "istio-system, gateways", want: []string{"istio-system", "gateways"}},
		"a star alone allows every namespace":            {value: "*", want: []string{"*"}},
		"a star beside names is refused":                 {value: "*,istio-system", wantErr: true},
		"a name that is no namespace is refused":         {value: "Istio_System", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseVirtualServiceNamespaces(tc.value)
			if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
				t.Errorf("parseVirtualServiceNamespaces(%q) = %v, %v; want %v, error %v", tc.value, got, err, tc.want, tc.wantErr)
			}
		})
	}
}
