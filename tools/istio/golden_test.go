package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	"istio.io/istio/pkg/config"
	"istio.io/istio/pkg/config/validation"
	"sigs.k8s.io/yaml"
)

// TestIstioAcceptsEveryGoldenFile runs Istio's own validation, the one this
// webhook serves, over every VirtualService and DestinationRule in the
// golden files of meshcanary's pkg/istio, so that no route shape
// meshcanary writes is one istiod would reject.
func TestIstioAcceptsEveryGoldenFile(t *testing.T) {
	files, err := filepath.Glob("../../pkg/istio/testdata/*.golden.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files found (%v)", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(data), "\n---\n") {
			if strings.TrimSpace(doc) == "null" {
				continue // an object the caller deletes (restore of an owned one)
			}
			t.Run(filepath.Base(file)+"#"+string(rune('0'+i)), func(t *testing.T) {
				if err := validate(doc); err != nil {
					t.Errorf("Istio rejects %s: %v", filepath.Base(file), err)
				}
			})
		}
	}
}

// validate checks one YAML document, a VirtualService or a DestinationRule.
func validate(doc string) error {
	var head struct{ Kind string }
	if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
		return err
	}
	switch head.Kind {
	case "VirtualService":
		var vs networkingv1.VirtualService
		if err := yaml.UnmarshalStrict([]byte(doc), &vs); err != nil {
			return err
		}
		_, err := validation.ValidateVirtualService(config.Config{
			Meta: config.Meta{Name: vs.Name, Namespace: vs.Namespace, Annotations: vs.Annotations, Labels: vs.Labels},
			Spec: &vs.Spec,
		})
		return err
	case "DestinationRule":
		var dr networkingv1.DestinationRule
		if err := yaml.UnmarshalStrict([]byte(doc), &dr); err != nil {
			return err
		}
		_, err := validation.ValidateDestinationRule(config.Config{
			Meta: config.Meta{Name: dr.Name, Namespace: dr.Namespace, Annotations: dr.Annotations, Labels: dr.Labels},
			Spec: &dr.Spec,
		})
		return err
	}
	return nil
}

// TestValidateRejectsWhatIstioRejects shows that validate is Istio's check
// and not a parse alone: a delegate VirtualService bound to a gateway and a
// negative weight are refused.
func TestValidateRejectsWhatIstioRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"a delegate with gateways": `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: d, namespace: shop}
spec:
  gateways: [istio-system/public]
  http:
  - route:
    - destination: {host: reviews}`,
		"a negative weight": `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: w, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: primary}
      weight: -5
    - destination: {host: reviews, subset: canary}
      weight: 105`,
	} {
		t.Run(name, func(t *testing.T) {
			if err := validate(doc); err == nil {
				t.Errorf("validate accepted %s", name)
			}
		})
	}
}
