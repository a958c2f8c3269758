package main

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// parseVirtualServiceNamespaces parses --virtualservice-namespaces: a
// comma-separated list of namespace names, or "*" alone.
func parseVirtualServiceNamespaces(v string) ([]string, error) {
	list := splitList(v)
	for _, ns := range list {
		if ns == "*" && len(list) == 1 {
			continue
		}
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return nil, fmt.Errorf("--virtualservice-namespaces %q: %q is not a namespace name (%s); want comma-separated namespace names, or \"*\" alone for every namespace",
				v, ns, strings.Join(errs, "; "))
		}
	}
	return list, nil
}
