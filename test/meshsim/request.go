package meshsim

import "net/url"

// Source is the calling workload, reported as source_workload and
// source_workload_namespace and matched by sourceNamespace/sourceLabels.
type Source struct {
	Workload  string            `json:"workload"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
}

// DefaultSource is the caller of requests whose target names none.
var DefaultSource = Source{Workload: "meshsim", Namespace: "meshsim"}

// Request is one request a caller sends to a service through the mesh.
type Request struct {
	// Service is the service the caller addresses (its Host header is the
	// service's FQDN).
	Service ServiceRef
	Source  Source
	// Method defaults to GET and Path to "/".
	Method string
	Path   string
	// Headers have lower-case keys; cookies go in "cookie".
	Headers map[string]string
	// Gateway, namespace/name, is the Istio Gateway the request enters the
	// mesh through (an ingress gateway's Envoy routes it with the
	// VirtualServices bound to that Gateway); "" for a sidecar's request.
	Gateway string
	// Host is the host the caller asks for (the authority): through a
	// gateway an external name such as shop.example.com; the service's
	// FQDN when empty. Service is then the Service whose Counts keep the
	// request.
	Host string
}

// method returns the request's method, GET when unset.
func (r Request) method() string {
	if r.Method == "" {
		return "GET"
	}
	return r.Method
}

// pathAndQuery splits the request's path into the path and its query
// parameters.
func (r Request) pathAndQuery() (string, url.Values) {
	if r.Path == "" {
		return "/", nil
	}
	u, err := url.ParseRequestURI(r.Path)
	if err != nil {
		return r.Path, nil
	}
	return u.Path, u.Query()
}
