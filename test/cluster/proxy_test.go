package cluster

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
)

func TestClassify(t *testing.T) {
	tests := map[string]struct {
		method, url string
		want        Request
	}{
		"a GET of a named Deployment is a get": {
			"GET", "/apis/apps/v1/namespaces/scale/deployments/app-000", Request{"get", "deployments"}},
		"a GET of ReplicaSets with a selector is a list": {
			"GET", "/apis/apps/v1/namespaces/scale/replicasets?labelSelector=app%3Dapp-000", Request{"list", "replicasets"}},
		"a GET of every namespace's Services is a list": {
			"GET", "/api/v1/services?limit=500", Request{"list", "services"}},
		"a GET with watch=true is a watch": {
			"GET", "/apis/networking.istio.io/v1/virtualservices?watch=true&resourceVersion=12", Request{"watch", "virtualservices"}},
		"a GET of a named namespace is a get of namespaces": {
			"GET", "/api/v1/namespaces/scale", Request{"get", "namespaces"}},
		"a PUT of a Deployment is an update": {
			"PUT", "/apis/apps/v1/namespaces/scale/deployments/app-000", Request{"update", "deployments"}},
		"a PUT of a status subresource names it": {
			"PUT", "/apis/apps/v1/namespaces/scale/deployments/app-000/status", Request{"update", "deployments/status"}},
		"a POST of an Event is a create": {
			"POST", "/api/v1/namespaces/scale/events", Request{"create", "events"}},
		"a PATCH of an Event is a patch": {
			"PATCH", "/api/v1/namespaces/scale/events/app-000.1", Request{"patch", "events"}},
		"a DELETE of a named VirtualService is a delete": {
			"DELETE", "/apis/networking.istio.io/v1/namespaces/scale/virtualservices/app-000", Request{"delete", "virtualservices"}},
		"discovery is other": {
			"GET", "/apis", Request{"other", "/apis"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, Classify(tc.method, u)); diff != "" {
				t.Errorf("Classify(%s %s) (-want +got):\n%s", tc.method, tc.url, diff)
			}
		})
	}
}

func TestCountsSumLeavesOutExcludedResources(t *testing.T) {
	c := Counts{{"create", "events"}: 3, {"update", "deployments"}: 2, {"patch", "events"}: 1, {"get", "deployments"}: 5}
	if got := c.Sum(WriteVerbs, "events"); got != 2 {
		t.Errorf("writes without events = %d, want 2", got)
	}
	if got := c.Sum(WriteVerbs); got != 6 {
		t.Errorf("writes = %d, want 6", got)
	}
	if got := c.Minus(Counts{{"get", "deployments"}: 5, {"create", "events"}: 1}); !cmp.Equal(got,
		Counts{{"create", "events"}: 2, {"update", "deployments"}: 2, {"patch", "events"}: 1}) {
		t.Errorf("Minus = %v", got)
	}
}

func TestProxyCutsTheClientOffRightAfterItsKthWrite(t *testing.T) {
	apiserver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer apiserver.Close()
	p, err := StartProxy(&rest.Config{Host: apiserver.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	do := func(method, path string) int {
		req, _ := http.NewRequest(method, p.URL+path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	const deploy = "/apis/apps/v1/namespaces/ns/deployments/web"
	cut := p.CutAfter(2)
	for i, step := range []struct {
		method, path string
		want         int
	}{
		{"PUT", deploy, http.StatusOK},
		{"POST", "/api/v1/namespaces/ns/events", http.StatusOK}, // Events do not count
		{"GET", deploy, http.StatusOK},
		{"PUT", deploy, http.StatusOK}, // the 2nd write
		{"GET", deploy, http.StatusServiceUnavailable},
		{"PUT", deploy, http.StatusServiceUnavailable},
	} {
		if got := do(step.method, step.path); got != step.want {
			t.Errorf("request %d, %s %s: status %d, want %d", i+1, step.method, step.path, got, step.want)
		}
	}
	select {
	case <-cut:
	default:
		t.Error("the cut was not signalled")
	}
	p.Reconnect()
	if got := do("PUT", deploy); got != http.StatusOK {
		t.Errorf("a write after Reconnect: status %d, want 200", got)
	}
	if got := p.Writes(); got != 3 {
		t.Errorf("Writes() = %d, want 3 (the refused write not counted)", got)
	}
}

func TestProxyLogsEveryWriteWithItsTimesAndCode(t *testing.T) {
	apiserver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusConflict)
		}
	}))
	defer apiserver.Close()
	p, err := StartProxy(&rest.Config{Host: apiserver.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, r := range []struct{ method, path string }{
		{"PUT", "/apis/apps/v1/namespaces/ns/deployments/web"},
		{"GET", "/apis/apps/v1/namespaces/ns/deployments/web"},
		{"POST", "/api/v1/namespaces/ns/events"},
		{"PUT", "/apis/coordination.k8s.io/v1/namespaces/default/leases/meshcanary"},
	} {
		req, _ := http.NewRequest(r.method, p.URL+r.path, strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	log := p.WriteLog()
	var got []string
	for i, w := range log {
		got = append(got, fmt.Sprintf("%s %s %d", w.Verb, w.Resource, w.Code))
		if w.Answered.Before(w.Sent) {
			t.Errorf("write %d: answered %s before it was sent %s", i, w.Answered, w.Sent)
		}
		if i > 0 && w.Sent.Before(log[i-1].Answered) {
			t.Errorf("write %d: sent %s before the previous one was answered %s", i, w.Sent, log[i-1].Answered)
		}
	}
	want := []string{"update deployments 409", "create events 200", "update leases 409"}
	if !cmp.Equal(got, want) {
		t.Errorf("write log %q, want %q", got, want)
	}
}
