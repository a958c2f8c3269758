package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Manifests are the objects render and lint read from YAML files. Other
// kinds are skipped.
type Manifests struct {
	Deployments      []*appsv1.Deployment
	Services         []*corev1.Service
	VirtualServices  []*networkingv1.VirtualService
	DestinationRules []*networkingv1.DestinationRule
}

// Read reads the YAML (or JSON) documents of r, named source in
// errors, into m. Objects without a namespace get namespace.
func (m *Manifests) Read(r io.Reader, source, namespace string) error {
	docs := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for i := 1; ; i++ {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: reading document %d: %w", source, i, err)
		}
		if err := m.add(doc, namespace); err != nil {
			return fmt.Errorf("%s: document %d: %w", source, i, err)
		}
	}
}

// add decodes one document by its apiVersion and kind.
func (m *Manifests) add(doc []byte, namespace string) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	group, _, _ := strings.Cut(tm.APIVersion, "/")
	switch {
	case tm.APIVersion == "apps/v1" && tm.Kind == "Deployment":
		return decodeInto(doc, namespace, &m.Deployments)
	case tm.APIVersion == "v1" && tm.Kind == "Service":
		return decodeInto(doc, namespace, &m.Services)
	case group == networkingv1.SchemeGroupVersion.Group && tm.Kind == "VirtualService":
		return decodeInto(doc, namespace, &m.VirtualServices)
	case group == networkingv1.SchemeGroupVersion.Group && tm.Kind == "DestinationRule":
		return decodeInto(doc, namespace, &m.DestinationRules)
	}
	return nil
}

// object is a pointer to a Kubernetes object type.
type object[T any] interface {
	*T
	metav1.Object
}

// decodeInto strictly decodes doc as a T, defaulting its namespace, and
// appends it to list. Istio's v1alpha3 and v1beta1 objects have the v1
// schema, so they decode as v1.
func decodeInto[T any, P object[T]](doc []byte, namespace string, list *[]P) error {
	obj := P(new(T))
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return err
	}
	if obj.GetNamespace() == "" {
		obj.SetNamespace(namespace)
	}
	*list = append(*list, obj)
	return nil
}
