package meshsim

import (
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Mesh is the read-only view of the cluster that routing needs. The
// simulator's view is backed by informer caches; objects it returns must not
// be modified.
type Mesh interface {
	// Service returns the Service ref names, if it exists.
	Service(ref ServiceRef) (*corev1.Service, bool)
	// Pods returns the pods of a namespace that match a selector.
	Pods(namespace string, selector labels.Selector) []*corev1.Pod
	// VirtualServices returns the watched VirtualServices that may serve
	// the host fqdn: at least every one with a matching host, and possibly
	// others (the caller checks the hosts).
	VirtualServices(fqdn string) []*networkingv1.VirtualService
	// DestinationRules returns the DestinationRules of a namespace.
	DestinationRules(namespace string) []*networkingv1.DestinationRule
}
