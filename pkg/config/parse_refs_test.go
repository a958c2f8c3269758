package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseVirtualServices(t *testing.T) {
	tests := map[string]struct {
		value   string
		want    []VirtualServiceRef
		wantErr string
	}{
		"bare names are in the Deployment's namespace and qualified ones in theirs": {
			value: "web, istio-system/public.web",
			want:  []VirtualServiceRef{{Name: "web"}, {Namespace: "istio-system", Name: "public.web"}},
		},
		"two slashes name the entry and what is valid": {
			value: "web,a/b/c",
			wantErr: `comma-separated VirtualServices, each "[namespace/]name" listed once (namespace a DNS-1123 label, ` +
				`the Deployment's when left out; name a DNS-1123 subdomain), e.g. "web,istio-system/public-web" (entry 2 is "a/b/c")`,
		},
		"an empty entry is invalid": {
			value: "web,",
			wantErr: `comma-separated VirtualServices, each "[namespace/]name" listed once (namespace a DNS-1123 label, ` +
				`the Deployment's when left out; name a DNS-1123 subdomain), e.g. "web,istio-system/public-web" (entry 2 is "")`,
		},
		"a namespace with dots is invalid": {
			value: "istio.system/web",
			wantErr: `comma-separated VirtualServices, each "[namespace/]name" listed once (namespace a DNS-1123 label, ` +
				`the Deployment's when left out; name a DNS-1123 subdomain), e.g. "web,istio-system/public-web" (entry 1 is "istio.system/web")`,
		},
		"an entry listed twice is named": {
			value: "web,istio-system/public, web",
			wantErr: `comma-separated VirtualServices, each "[namespace/]name" listed once (namespace a DNS-1123 label, ` +
				`the Deployment's when left out; name a DNS-1123 subdomain), e.g. "web,istio-system/public-web" (entry 3, "web", is listed twice)`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseVirtualServices(tc.value)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseVirtualServices (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzVirtualServicesList(f *testing.F) {
	f.Add("web,istio-system/public-web")
	f.Add("a/b/c,,web")
	f.Fuzz(func(t *testing.T, v string) {
		refs, err := parseVirtualServices(v)
		if err != nil {
			return
		}
		seen := map[VirtualServiceRef]bool{}
		for _, r := range refs {
			if r.Name == "" || seen[r] {
				t.Fatalf("parseVirtualServices(%q) accepted %v", v, refs)
			}
			seen[r] = true
		}
	})
}
