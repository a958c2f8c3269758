package cluster

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// Istio resources the harness touches.
var (
	crdResource = schema.GroupVersionResource{
		Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	// VirtualServices is the networking.istio.io/v1 virtualservices resource.
	VirtualServices = schema.GroupVersionResource{
		Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}
	// DestinationRules is the networking.istio.io/v1 destinationrules resource.
	DestinationRules = schema.GroupVersionResource{
		Group: "networking.istio.io", Version: "v1", Resource: "destinationrules"}
)

const (
	// istioCRDFile is the file of the istio.io/api module with every Istio CRD.
	istioCRDFile = "kubernetes/customresourcedefinitions.gen.yaml"
	// fieldManager is the harness's field manager for server-side apply.
	fieldManager = "meshcanary-e2e"
	// webhookName is the name of the validating webhook, the one istiod registers.
	webhookName = "validation.istio.io"
)

// installIstio applies Istio's CRDs from the istio.io/api module the main module
// requires and registers the istio-webhook serving at webhookURL for
// VirtualServices and DestinationRules, failing closed.
func (c *Cluster) installIstio(ctx context.Context, root, webhookURL string) error {
	crds, err := istioCRDs(ctx, root)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(c.admin)
	if err != nil {
		return fmt.Errorf("create dynamic client: %w", err)
	}
	for _, crd := range crds {
		data, err := json.Marshal(crd.Object)
		if err != nil {
			return fmt.Errorf("encode CRD %s: %w", crd.GetName(), err)
		}
		if _, err := dyn.Resource(crdResource).Patch(ctx, crd.GetName(), types.ApplyPatchType, data,
			metav1.PatchOptions{FieldManager: fieldManager, Force: ptr.To(true)}); err != nil {
			return fmt.Errorf("apply CRD %s: %w", crd.GetName(), err)
		}
		c.istioCRDs = append(c.istioCRDs, crd.GetName())
	}
	if err := c.waitFor(ctx, "istio-webhook serving", func(ctx context.Context) error {
		return httpOK(ctx, c.pki.caPEM, webhookURL+"/ready")
	}); err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(c.admin)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	_, err = client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx,
		webhookConfiguration(webhookURL+"/validate", c.pki.caPEM), metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("register istio-webhook: %w", err)
	}
	return nil
}

// webhookConfiguration registers url like istiod's istio-validator webhook, for
// the two kinds meshcanary writes.
func webhookConfiguration(url string, caPEM []byte) *admissionv1.ValidatingWebhookConfiguration {
	return &admissionv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "istio-validator-meshcanary-e2e"},
		Webhooks: []admissionv1.ValidatingWebhook{{
			Name:         webhookName,
			ClientConfig: admissionv1.WebhookClientConfig{URL: &url, CABundle: caPEM},
			Rules: []admissionv1.RuleWithOperations{{
				Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
				Rule: admissionv1.Rule{
					APIGroups:   []string{"networking.istio.io"},
					APIVersions: []string{"*"},
					Resources:   []string{"virtualservices", "destinationrules"},
				},
			}},
			FailurePolicy:           ptr.To(admissionv1.Fail),
			SideEffects:             ptr.To(admissionv1.SideEffectClassNone),
			AdmissionReviewVersions: []string{"v1", "v1beta1"},
			TimeoutSeconds:          ptr.To[int32](10),
		}},
	}
}

// istioCRDs reads every CRD of the istio.io/api module version the main module
// requires, downloading the module if needed.
func istioCRDs(ctx context.Context, root string) ([]*unstructured.Unstructured, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", "istio.io/api")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("locate the istio.io/api module (go mod download): %w", err)
	}
	var module struct{ Dir, Error string }
	if err := json.Unmarshal(out, &module); err != nil {
		return nil, fmt.Errorf("decode go mod download output: %w", err)
	}
	if module.Dir == "" {
		return nil, fmt.Errorf("locate the istio.io/api module: %s", module.Error)
	}
	f, err := os.Open(filepath.Join(module.Dir, istioCRDFile))
	if err != nil {
		return nil, fmt.Errorf("open Istio CRDs: %w", err)
	}
	defer f.Close()
	return readManifests(f)
}

// readManifests decodes every non-empty document of a multi-document YAML stream.
func readManifests(r io.Reader) ([]*unstructured.Unstructured, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var objs []*unstructured.Unstructured
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read YAML document: %w", err)
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &obj.Object); err != nil {
			return nil, fmt.Errorf("decode YAML document: %w", err)
		}
		if len(obj.Object) > 0 {
			objs = append(objs, obj)
		}
	}
}

// istioCRDsEstablished checks that every installed Istio CRD is Established.
func (c *Cluster) istioCRDsEstablished(ctx context.Context) error {
	dyn, err := dynamic.NewForConfig(c.admin)
	if err != nil {
		return fmt.Errorf("create dynamic client: %w", err)
	}
	for _, name := range c.istioCRDs {
		crd, err := dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if !conditionTrue(crd, "Established") {
			return fmt.Errorf("CRD %s is not Established", name)
		}
	}
	return nil
}

func conditionTrue(obj *unstructured.Unstructured, condition string) bool {
	conditions, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conditions {
		m, ok := c.(map[string]any)
		if ok && m["type"] == condition {
			return m["status"] == "True"
		}
	}
	return false
}

// webhookEffective checks, with a dry-run create of a VirtualService that has a
// negative weight, that the apiserver calls the webhook and the webhook denies it.
func (c *Cluster) webhookEffective(ctx context.Context) error {
	dyn, err := dynamic.NewForConfig(c.admin)
	if err != nil {
		return fmt.Errorf("create dynamic client: %w", err)
	}
	probe := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1",
		"kind":       "VirtualService",
		"metadata":   map[string]any{"name": "webhook-probe", "namespace": "default"},
		"spec": map[string]any{
			"hosts": []any{"probe"},
			"http": []any{map[string]any{"route": []any{
				map[string]any{"destination": map[string]any{"host": "probe"}, "weight": int64(-1)},
			}}},
		},
	}}
	_, err = dyn.Resource(VirtualServices).Namespace("default").Create(ctx, probe,
		metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	switch {
	case err == nil:
		return errors.New("a VirtualService with a negative weight was accepted")
	case !strings.Contains(err.Error(), `admission webhook "`+webhookName+`" denied the request`):
		return fmt.Errorf("probe VirtualService not denied by the webhook: %w", err)
	}
	return nil
}
