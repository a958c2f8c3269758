package cluster

import (
	"slices"
	"testing"
)

func TestIstioCRDsIncludeTheKindsMeshcanaryWrites(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	crds, err := istioCRDs(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, crd := range crds {
		if crd.GetKind() != "CustomResourceDefinition" {
			t.Errorf("%s is a %s, want a CustomResourceDefinition", crd.GetName(), crd.GetKind())
		}
		names = append(names, crd.GetName())
	}
	for _, want := range []string{"virtualservices.networking.istio.io", "destinationrules.networking.istio.io"} {
		if !slices.Contains(names, want) {
			t.Errorf("CRDs %v lack %s", names, want)
		}
	}
}
