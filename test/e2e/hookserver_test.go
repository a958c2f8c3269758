//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/istio"
)

// hookCall is one call a hookServer received, with what the API server
// said at that moment: the canary weight of the home VirtualService and
// the revision the primary runs.
type hookCall struct {
	Path            string
	Req             gates.HookRequest
	Weight          int32
	PrimaryRevision string
}

// hookServer is a release hook on the loopback interface. Its answer
// depends on the path's first segment: "refuse" refuses, "fail" answers
// HTTP 500, anything else proceeds.
type hookServer struct {
	server *httptest.Server

	mu    sync.Mutex
	calls []hookCall
}

func startHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	h.server = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.server.Close)
	return h
}

func (h *hookServer) serve(w http.ResponseWriter, r *http.Request) {
	var req gates.HookRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call := hookCall{Path: r.URL.Path, Req: req}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if vs, err := env.istio.NetworkingV1().VirtualServices(req.Namespace).Get(ctx, appName, metav1.GetOptions{}); err == nil {
		_, call.Weight = istio.ObserveRouting(vs, istio.Target{Namespace: req.Namespace, Service: appName, Deployment: appName})
	}
	if d, err := env.kube.AppsV1().Deployments(req.Namespace).Get(ctx, req.Primary, metav1.GetOptions{}); err == nil {
		call.PrimaryRevision = d.Annotations[config.RevisionAnnotation]
	}
	h.mu.Lock()
	h.calls = append(h.calls, call)
	h.mu.Unlock()
	switch strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0] {
	case "refuse":
		_ = json.NewEncoder(w).Encode(gates.HookResponse{Result: "refuse", Reason: "change freeze until Monday"})
	case "fail":
		http.Error(w, "hook is down", http.StatusInternalServerError)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// callsOf returns the calls about the Deployment of namespace ns, in the
// order received.
func (h *hookServer) callsOf(ns string) []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []hookCall
	for _, c := range h.calls {
		if c.Req.Namespace == ns {
			out = append(out, c)
		}
	}
	return out
}
