package xds

import (
	"fmt"
	"maps"
	"slices"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/types/known/structpb"
)

// Proxy identifies the sidecar a [Client] stands in for: a pod of the cluster.
type Proxy struct {
	// Pod and Namespace name the pod; IP is its pod IP, which istiod matches
	// against endpoints to find the services the proxy belongs to.
	Pod, Namespace, IP string
	// Labels are the pod's labels.
	Labels map[string]string
	// ServiceAccount is the pod's service account; empty means "default".
	ServiceAccount string
	// ClusterID is istiod's cluster name; empty means "Kubernetes", istiod's default.
	ClusterID string
	// IstioVersion is the proxy version announced; empty means [DefaultIstioVersion].
	IstioVersion string
}

// DefaultIstioVersion is the proxy version a [Proxy] announces by default: the
// minor release of the istiod the harness builds (tools/istio), so istiod
// generates what it generates for its own sidecars.
const DefaultIstioVersion = "1.31.0"

// DomainSuffix is the cluster's DNS suffix, as the harness starts istiod.
const DomainSuffix = "cluster.local"

// NodeID returns the Envoy node ID istio-agent sends for a sidecar:
// sidecar~<pod IP>~<pod>.<namespace>~<namespace>.svc.cluster.local.
func (p Proxy) NodeID() string {
	return fmt.Sprintf("sidecar~%s~%s.%s~%s.svc.%s", p.IP, p.Pod, p.Namespace, p.Namespace, DomainSuffix)
}

// node returns the Envoy node with the metadata istio-agent sends for the pod.
func (p Proxy) node() (*corev3.Node, error) {
	if p.Pod == "" || p.Namespace == "" || p.IP == "" {
		return nil, fmt.Errorf("proxy needs a pod name, namespace and IP, got %q, %q, %q", p.Pod, p.Namespace, p.IP)
	}
	sa := p.ServiceAccount
	if sa == "" {
		sa = "default"
	}
	cluster := p.ClusterID
	if cluster == "" {
		cluster = "Kubernetes"
	}
	version := p.IstioVersion
	if version == "" {
		version = DefaultIstioVersion
	}
	labels := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		labels[k] = p.Labels[k]
	}
	meta, err := structpb.NewStruct(map[string]any{
		"NAME":              p.Pod,
		"NAMESPACE":         p.Namespace,
		"CLUSTER_ID":        cluster,
		"ISTIO_VERSION":     version,
		"LABELS":            labels,
		"SERVICE_ACCOUNT":   sa,
		"INSTANCE_IPS":      p.IP,
		"INTERCEPTION_MODE": "REDIRECT",
		"MESH_ID":           DomainSuffix,
	})
	if err != nil {
		return nil, fmt.Errorf("build node metadata: %w", err)
	}
	return &corev3.Node{Id: p.NodeID(), Cluster: p.Pod + "." + p.Namespace, Metadata: meta}, nil
}
