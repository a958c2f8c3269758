package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"
)

// ApplyCRDs applies, server-side, every CustomResourceDefinition in the
// multi-document YAML file at path (another tool's CRDs, such as Flagger's)
// and waits until each is Established. A document of another kind is an
// error, before anything is applied.
func (c *Cluster) ApplyCRDs(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open CRDs: %w", err)
	}
	defer f.Close()
	docs, err := readManifests(f)
	if err != nil {
		return fmt.Errorf("read CRDs from %s: %w", path, err)
	}
	for _, doc := range docs {
		if doc.GetKind() != "CustomResourceDefinition" {
			return fmt.Errorf("%s: document %q is a %s, not a CustomResourceDefinition", path, doc.GetName(), doc.GetKind())
		}
	}
	dyn, err := dynamic.NewForConfig(c.admin)
	if err != nil {
		return fmt.Errorf("create dynamic client: %w", err)
	}
	for _, doc := range docs {
		data, err := json.Marshal(doc.Object)
		if err != nil {
			return fmt.Errorf("encode CRD %s: %w", doc.GetName(), err)
		}
		if _, err := dyn.Resource(crdResource).Patch(ctx, doc.GetName(), types.ApplyPatchType, data,
			metav1.PatchOptions{FieldManager: fieldManager, Force: ptr.To(true)}); err != nil {
			return fmt.Errorf("apply CRD %s: %w", doc.GetName(), err)
		}
	}
	return c.waitFor(ctx, "CRDs of "+path+" established", func(ctx context.Context) error {
		for _, doc := range docs {
			crd, err := dyn.Resource(crdResource).Get(ctx, doc.GetName(), metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !conditionTrue(crd, "Established") {
				return fmt.Errorf("CRD %s is not Established", doc.GetName())
			}
		}
		return nil
	})
}
