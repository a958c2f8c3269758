//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/meshcanary/meshcanary/pkg/gates"
)

// stepGate is a webhook gate that passes every check, except from step 2
// on for the revisions of a rejected kind of release, and except from step
// 1 on (it holds) for those of a kind stopped by the user (aborted or
// opted out).
type stepGate struct {
	server *httptest.Server

	mu    sync.Mutex
	kinds map[string]releaseKind
}

func startStepGate(t *testing.T) *stepGate {
	g := &stepGate{kinds: map[string]releaseKind{}}
	g.server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.server.Close)
	return g
}

// set tells the gate the kind of release of revision rev.
func (g *stepGate) set(rev string, kind releaseKind) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.kinds[rev] = kind
}

func (g *stepGate) serve(w http.ResponseWriter, r *http.Request) {
	var req gates.WebhookRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	kind := g.kinds[req.Revision]
	g.mu.Unlock()
	resp := gates.WebhookResponse{Result: "pass", Reason: "step gate passes"}
	switch {
	case kind.reject && req.Step >= 2:
		resp = gates.WebhookResponse{Result: "fail", Reason: fmt.Sprintf("revision %s is rejected from step 2", req.Revision)}
	case kind.abort || kind.optOut:
		resp = gates.WebhookResponse{Result: "hold", Reason: fmt.Sprintf("revision %s waits for the abort command", req.Revision)}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}
