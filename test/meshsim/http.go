package meshsim

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// shareReport is one service's entry of the /share endpoint.
type shareReport struct {
	Counts
	Shares map[string]float64 `json:"shares"`
}

// Handler serves /metrics (Prometheus exposition of the simulated proxies
// and containers), /share (JSON: for each "namespace/service" requests were
// sent to, its Counts since the start plus "shares", each workload's
// fraction of the requests) and /healthz.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /share", func(w http.ResponseWriter, _ *http.Request) {
		out := map[string]shareReport{}
		for ref, c := range s.allCounts() {
			out[ref.String()] = shareReport{Counts: c, Shares: c.Shares()}
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out) // a failed write means the client went away
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}
