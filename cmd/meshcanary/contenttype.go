package main

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
)

// contentTypes are the values --kube-api-content-type takes: Kubernetes'
// own kinds in protobuf (the default, as kube-controller-manager's) or in
// JSON.
var contentTypes = []string{runtime.ContentTypeProtobuf, runtime.ContentTypeJSON}

// validateContentType says what is wrong with --kube-api-content-type; nil
// when it is valid.
func validateContentType(t string) error {
	if !slices.Contains(contentTypes, t) {
		return fmt.Errorf("--kube-api-content-type=%q: must be %q or %q", t, contentTypes[0], contentTypes[1])
	}
	return nil
}

// withContentType returns a copy of cfg that sends and asks for
// Kubernetes' kinds in content type t. Istio's kinds are custom resources,
// which the API server serves in JSON only: their client keeps cfg.
func withContentType(cfg *rest.Config, t string) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.ContentType = t
	return out
}
