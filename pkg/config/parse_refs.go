package config

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// VirtualServiceRef names a VirtualService listed in
// meshcanary.io/virtual-services.
type VirtualServiceRef struct {
	// Namespace is "" for the Deployment's namespace.
	Namespace string
	Name      string
}

// String is the reference as written: "namespace/name" or "name".
func (r VirtualServiceRef) String() string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace + "/" + r.Name
}

// validVirtualServices says what a valid meshcanary.io/virtual-services
// value is.
const validVirtualServices = `comma-separated VirtualServices, each "[namespace/]name" listed once ` +
	`(namespace a DNS-1123 label, the Deployment's when left out; name a DNS-1123 subdomain), ` +
	`e.g. "web,istio-system/public-web"`

// parseVirtualServices parses meshcanary.io/virtual-services.
func parseVirtualServices(v string) ([]VirtualServiceRef, error) {
	entries, err := parseList(v, validVirtualServices, func(e string) bool {
		ns, name, qualified := strings.Cut(e, "/")
		if !qualified {
			ns, name = "", ns
		} else if len(validation.IsDNS1123Label(ns)) > 0 {
			return false
		}
		return len(validation.IsDNS1123Subdomain(name)) == 0
	})
	if err != nil {
		return nil, err
	}
	refs := make([]VirtualServiceRef, len(entries))
	seen := make(map[VirtualServiceRef]bool, len(entries))
	for i, e := range entries {
		ns, name, qualified := strings.Cut(e, "/")
		if !qualified {
			ns, name = "", ns
		}
		refs[i] = VirtualServiceRef{Namespace: ns, Name: name}
		if seen[refs[i]] {
			return nil, fmt.Errorf("%s (entry %d, %q, is listed twice)", validVirtualServices, i+1, e)
		}
		seen[refs[i]] = true
	}
	return refs, nil
}
