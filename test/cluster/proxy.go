package cluster

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
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Request is how the proxy files one API request: its verb (get, list,
// watch, create, update, patch, delete, deletecollection, or "other" for
// discovery and anything outside a resource) and its resource
// ("deployments", "virtualservices", "deployments/status", ...).
type Request struct {
	Verb, Resource string
}

// Counts is how many requests the proxy forwarded, per verb and resource.
type Counts map[Request]int

// The verbs that read and those that write.
var (
	ReadVerbs  = []string{"get", "list"}
	WriteVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}
)

// Sum adds up the requests of the given verbs, every resource, except those
// of the excluded resources.
func (c Counts) Sum(verbs []string, exclude ...string) int {
	n := 0
	for r, v := range c {
		if slices.Contains(verbs, r.Verb) && !slices.Contains(exclude, r.Resource) {
			n += v
		}
	}
	return n
}

// Minus returns c - before, request by request.
func (c Counts) Minus(before Counts) Counts {
	out := Counts{}
	for r, v := range c {
		if d := v - before[r]; d != 0 {
			out[r] = d
		}
	}
	return out
}

// String lists the counts as "verb resource=n", sorted, for logs.
func (c Counts) String() string {
	var parts []string
	for r, v := range c {
		parts = append(parts, fmt.Sprintf("%s %s=%d", r.Verb, r.Resource, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// Classify files an API request by method, path and query, the way the
// apiserver's RequestInfo does for the paths a controller uses.
func Classify(method string, u *url.URL) Request {
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	switch {
	case len(segs) >= 3 && segs[0] == "api":
		segs = segs[2:] // api, v1
	case len(segs) >= 4 && segs[0] == "apis":
		segs = segs[3:] // apis, group, version
	default:
		return Request{Verb: "other", Resource: u.Path}
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
	return Request{Verb: verb, Resource: resource}
}

// Proxy forwards plain HTTP on loopback to the apiserver with the admin's
// credentials and counts every request. Give one client (the controller)
// its kubeconfig ([Proxy.WriteKubeconfig]) and every request counted is that
// client's. [Proxy.CutAfter] makes the client as good as dead right after
// its k-th write, so a test can kill it at that exact point.
type Proxy struct {
	// URL is the proxy's address, http://127.0.0.1:<port>.
	URL    string
	server *http.Server

	mu        sync.Mutex
	n         Counts
	perSecond map[int64]int // requests other than watches, by Unix second
	// writes counts the writes other than Events since CutAfter; cutAt,
	// when above 0, is the write after which every request is refused.
	writes, cutAt int
	cut           bool
	onCut         chan struct{}
	// log holds every write forwarded, Events and Leases included.
	log []Write
}

// Write is one write the proxy forwarded (Events and Leases included): its
// request, when the proxy sent it on and when the apiserver's answer came
// back. Two clients behind two proxies are ordered by these times: a write
// answered before another was sent reached the apiserver first.
type Write struct {
	Request
	// Name is the written object's name: from the path, or for a create
	// from the body (JSON or protobuf); empty when neither says.
	Name           string
	Sent, Answered time.Time
	// Code is the apiserver's HTTP status code.
	Code int
}

// StartProxy starts a counting proxy in front of the apiserver that admin
// reaches.
func StartProxy(admin *rest.Config) (*Proxy, error) {
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
	p := &Proxy{URL: "http://" + ln.Addr().String(), n: Counts{}, perSecond: map[int64]int{}}
	forward := &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     transport,
		FlushInterval: -1, // watches stream
	}
	p.server = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Classify(r.Method, r.URL)
		last, ok := p.admit(req)
		if !ok {
			http.Error(w, "the test cut this client off after its last write", http.StatusServiceUnavailable)
			return
		}
		if !slices.Contains(WriteVerbs, req.Verb) {
			forward.ServeHTTP(w, r)
		} else {
			name := writtenName(r)
			sent := time.Now()
			rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
			forward.ServeHTTP(rec, r)
			p.logWrite(Write{Request: req, Name: name, Sent: sent, Answered: time.Now(), Code: rec.code})
		}
		if last {
			p.cutOff()
		}
	})}
	go func() { _ = p.server.Serve(ln) }()
	return p, nil
}

// admit counts a request and reports whether it may pass, and whether it
// is the write after which the client is cut off.
func (p *Proxy) admit(req Request) (last, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false, false
	}
	if slices.Contains(WriteVerbs, req.Verb) && req.Resource != "events" {
		if p.cutAt > 0 && p.writes >= p.cutAt {
			return false, false
		}
		p.writes++
		last = p.writes == p.cutAt
	}
	p.n[req]++
	if req.Verb != "watch" {
		p.perSecond[time.Now().Unix()]++
	}
	return last, true
}

func (p *Proxy) logWrite(w Write) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log = append(p.log, w)
}

// WriteLog returns every write forwarded so far, in the order they were
// answered.
func (p *Proxy) WriteLog() []Write {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

// statusRecorder keeps the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

func (p *Proxy) cutOff() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	close(p.onCut)
}

// CutAfter starts counting the writes (Events apart) from 0. Once the k-th
// has been answered, every later request is refused (503) until
// [Proxy.Reconnect], as if the client had died right after that write, and
// the returned channel is closed. k = 0 only counts.
func (p *Proxy) CutAfter(k int) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.writes, p.cutAt, p.cut = 0, k, false
	p.onCut = make(chan struct{})
	return p.onCut
}

// Writes returns the writes (Events apart) counted since CutAfter.
func (p *Proxy) Writes() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writes
}

// Reconnect lets requests through again after a cut, counting on from
// where the count stopped, without another cut.
func (p *Proxy) Reconnect() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut, p.cutAt = false, 0
}

// Snapshot returns the counts so far.
func (p *Proxy) Snapshot() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(Counts, len(p.n))
	for r, v := range p.n {
		out[r] = v
	}
	return out
}

// PeakRate returns the most requests (watches apart) the proxy forwarded in
// one wall-clock second of [from, to].
func (p *Proxy) PeakRate(from, to time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	peak := 0
	for s := from.Unix(); s <= to.Unix(); s++ {
		peak = max(peak, p.perSecond[s])
	}
	return peak
}

// WriteKubeconfig writes dir/<name>.kubeconfig pointing at the proxy,
// without credentials (the proxy adds them), and returns its path.
func (p *Proxy) WriteKubeconfig(dir, name string) (string, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["proxy"] = &clientcmdapi.Cluster{Server: p.URL}
	cfg.AuthInfos["proxy"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["proxy"] = &clientcmdapi.Context{Cluster: "proxy", AuthInfo: "proxy"}
	cfg.CurrentContext = "proxy"
	path := filepath.Join(dir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return "", fmt.Errorf("writing the proxy's kubeconfig: %w", err)
	}
	return path, os.Chmod(path, 0o600)
}

// Close stops the proxy, cutting its client's watches.
func (p *Proxy) Close() { _ = p.server.Close() }
