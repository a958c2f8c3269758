//go:build scale

package scale

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// request is how the proxy files one API request: its verb (get, list, watch,
// create, update, patch, delete, deletecollection, or "other" for discovery
// and anything outside a resource) and its resource ("deployments",
// "virtualservices", "deployments/status", ...).
type request struct {
	verb, resource string
}

// counts is how many requests the proxy forwarded, per verb and resource.
type counts map[request]int

// sum adds up the requests of the given verbs, every resource, except those
// of the excluded resources.
func (c counts) sum(verbs []string, exclude ...string) int {
	n := 0
	for r, v := range c {
		if slices.Contains(verbs, r.verb) && !slices.Contains(exclude, r.resource) {
			n += v
		}
	}
	return n
}

// minus returns c - before, request by request.
func (c counts) minus(before counts) counts {
	out := counts{}
	for r, v := range c {
		if d := v - before[r]; d != 0 {
			out[r] = d
		}
	}
	return out
}

// String lists the counts as "verb resource=n", sorted, for logs.
func (c counts) String() string {
	var parts []string
	for r, v := range c {
		parts = append(parts, fmt.Sprintf("%s %s=%d", r.verb, r.resource, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

var (
	readVerbs  = []string{"get", "list"}
	writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}
)

// classify files an API request by method, path and query, the way the
// apiserver's RequestInfo does for the paths a controller uses.
func classify(method string, u *url.URL) request {
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case len(segs) >= 3 && segs[0] == "api":
		segs = segs[2:] // api, v1
	case len(segs) >= 4 && segs[0] == "apis":
		segs = segs[3:] // apis, group, version
	default:
		return request{verb: "other", resource: u.Path}
	}
	watch := u.Query().Get("watch") == "true" || u.Query().Get("watch") == "1"
	if segs[0] == "watch" {
		watch, segs = true, segs[1:]
	}
	if len(segs) >= 3 && segs[0] == "namespaces" {
		segs = segs[2:] // namespaces, <ns>: a namespaced resource follows
	}
	resource, named := segs[0], len(segs) >= 2
	if len(segs) >= 3 {
		resource += "/" + segs[2]
	}
	var verb string
	switch method {
	case http.MethodGet, http.MethodHead:
		verb = map[bool]string{true: "get", false: "list"}[named]
		if watch {
			verb = "watch"
		}
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = map[bool]string{true: "delete", false: "deletecollection"}[named]
	default:
		verb = strings.ToLower(method)
	}
	return request{verb: verb, resource: resource}
}

// countingProxy forwards plain HTTP on loopback to the apiserver with the
// admin's credentials and counts every request.
type countingProxy struct {
	url    string
	server *http.Server

	mu        sync.Mutex
	n         counts
	perSecond map[int64]int // requests other than watches, by Unix second
}

// startProxy starts a counting proxy in front of the apiserver that admin
// reaches.
func startProxy(admin *rest.Config) (*countingProxy, error) {
	target, err := url.Parse(admin.Host)
	if err != nil {
		return nil, fmt.Errorf("parsing the apiserver's address: %w", err)
	}
	transport, err := rest.TransportFor(admin)
	if err != nil {
		return nil, fmt.Errorf("building the proxy's transport: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the proxy: %w", err)
	}
	p := &countingProxy{url: "http://" + ln.Addr().String(), n: counts{}, perSecond: map[int64]int{}}
	forward := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     transport,
		FlushInterval: -1, // watches stream
	}
	p.server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := classify(r.Method, r.URL)
		p.mu.Lock()
		p.n[req]++
		if req.verb != "watch" {
			p.perSecond[time.Now().Unix()]++
		}
		p.mu.Unlock()
		forward.ServeHTTP(w, r)
	})}
	go func() { _ = p.server.Serve(ln) }()
	return p, nil
}

// snapshot returns the counts so far.
func (p *countingProxy) snapshot() counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(counts, len(p.n))
	for r, v := range p.n {
		out[r] = v
	}
	return out
}

// peakRate returns the most requests (watches apart) the proxy forwarded in
// one wall-clock second of [from, to].
func (p *countingProxy) peakRate(from, to time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	peak := 0
	for s := from.Unix(); s <= to.Unix(); s++ {
		peak = max(peak, p.perSecond[s])
	}
	return peak
}

// writeKubeconfig writes dir/proxy.kubeconfig pointing at the proxy, without
// credentials (the proxy adds them), and returns its path.
func (p *countingProxy) writeKubeconfig(dir string) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: p.url}
	cfg.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy"}
	cfg.CurrentContext = "proxy"
	path := filepath.Join(dir, "proxy.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("writing the proxy's kubeconfig: %w", err)
	}
	return path, os.Chmod(path, 0o600)
}

// close stops the proxy, cutting the controller's watches.
func (p *countingProxy) close() { _ = p.server.Close() }

func TestClassify(t *testing.T) {
	tests := map[string]struct {
		method, url string
		want        request
	}{
		"a GET of a named Deployment is a get": {
			"GET", "/apis/apps/v1/namespaces/scale/deployments/app-000", request{"get", "deployments"}},
		"a GET of ReplicaSets with a selector is a list": {
			"GET", "/apis/apps/v1/namespaces/scale/replicasets?labelSelector=app%3Dapp-000", request{"list", "replicasets"}},
		"a GET of every namespace's Services is a list": {
			"GET", "/api/v1/services?limit=500", request{"list", "services"}},
		"a GET with watch=true is a watch": {
			"GET", "/apis/networking.istio.io/v1/virtualservices?watch=true&resourceVersion=12", request{"watch", "virtualservices"}},
		"a GET of a named namespace is a get of namespaces": {
			"GET", "/api/v1/namespaces/scale", request{"get", "namespaces"}},
		"a PUT of a Deployment is an update": {
			"PUT", "/apis/apps/v1/namespaces/scale/deployments/app-000", request{"update", "deployments"}},
		"a PUT of a status subresource names it": {
			"PUT", "/apis/apps/v1/namespaces/scale/deployments/app-000/status", request{"update", "deployments/status"}},
		"a POST of an Event is a create": {
			"POST", "/api/v1/namespaces/scale/events", request{"create", "events"}},
		"a PATCH of an Event is a patch": {
			"PATCH", "/api/v1/namespaces/scale/events/app-000.1", request{"patch", "events"}},
		"a DELETE of a named VirtualService is a delete": {
			"DELETE", "/apis/networking.istio.io/v1/namespaces/scale/virtualservices/app-000", request{"delete", "virtualservices"}},
		"discovery is other": {
			"GET", "/apis", request{"other", "/apis"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, classify(tc.method, u), cmp.AllowUnexported(request{})); diff != "" {
				t.Errorf("classify(%s %s) (-want +got):\n%s", tc.method, tc.url, diff)
			}
		})
	}
}

func TestCountsSumLeavesOutExcludedResources(t *testing.T) {
	c := counts{{"create", "events"}: 3, {"update", "deployments"}: 2, {"patch", "events"}: 1, {"get", "deployments"}: 5}
	if got := c.sum(writeVerbs, "events"); got != 2 {
		t.Errorf("writes without events = %d, want 2", got)
	}
	if got := c.sum(writeVerbs); got != 6 {
		t.Errorf("writes = %d, want 6", got)
	}
	if got := c.minus(counts{{"get", "deployments"}: 5, {"create", "events"}: 1}); !cmp.Equal(got,
		counts{{"create", "events"}: 2, {"update", "deployments"}: 2, {"patch", "events"}: 1}, cmp.AllowUnexported(request{})) {
		t.Errorf("minus = %v", got)
	}
}
