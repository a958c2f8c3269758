package notify

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshcanary/meshcanary/pkg/metrics"
)

// Results of the notifications counter.
const (
	// resultSent: the receiver accepted the message.
	resultSent = "sent"
	// resultRetried: an attempt failed and the message waits for a retry.
	resultRetried = "retried"
	// resultFailed: the message was given up after its last attempt or a
	// rejection that no retry can fix.
	resultFailed = "failed"
	// resultDropped: the receiver's share of the queue was full; the
	// message was never attempted.
	resultDropped = "dropped"
)

// newCounter creates meshcanary_notifications_total, registers it on reg
// (when not nil) and creates its series for every receiver and result, so
// that they exist at zero.
func newCounter(reg prometheus.Registerer, receivers []string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: metrics.Namespace, Name: "notifications_total",
		Help: "Release notifications by receiver and result (sent, retried, failed, dropped).",
	}, []string{"receiver", "result"})
	if reg != nil {
		reg.MustRegister(c)
	}
	for _, r := range receivers {
		for _, result := range []string{resultSent, resultRetried, resultFailed, resultDropped} {
			c.WithLabelValues(r, result)
		}
	}
	return c
}
