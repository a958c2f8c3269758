package gates

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gates' Prometheus metrics.
type metrics struct {
	evaluations   *prometheus.CounterVec
	value         *prometheus.GaugeVec
	queryDuration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		evaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshcanary_gate_evaluations_total",
			Help: "Gate evaluations by gate kind (error-rate, error-rate-relative, latency, cpu, memory, query, webhook) and result (Pass, Hold, Fail).",
		}, []string{"kind", "result"}),
		value: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "meshcanary_gate_value",
			Help: "Last value measured by a gate of a canary Deployment.",
		}, []string{"namespace", "deployment", "gate"}),
		queryDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "meshcanary_gate_query_duration_seconds",
			Help:    "Duration of the Prometheus queries of the gates, by query kind.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"query"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.evaluations, m.value, m.queryDuration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register gate metrics: %w", err)
		}
	}
	return m, nil
}

// record counts a verdict by the gate's kind, a bounded set (a gate's name
// comes from its annotation's value), and keeps its value until Forget.
func (m *metrics) record(r Release, s Spec, v Verdict) {
	m.evaluations.WithLabelValues(string(s.Kind), string(v.Result)).Inc()
	if v.Value != nil {
		m.value.WithLabelValues(r.Namespace, r.Deployment, v.Gate).Set(*v.Value)
	} else {
		m.value.DeleteLabelValues(r.Namespace, r.Deployment, v.Gate)
	}
}

// forget drops the values kept for a Deployment.
func (m *metrics) forget(namespace, deployment string) {
	m.value.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "deployment": deployment})
}
