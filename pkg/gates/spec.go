package gates

import (
	"github.com/meshcanary/meshcanary/pkg/gates/promql"
	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// Kind says what a gate measures.
type Kind string

// The kinds of gates.
const (
	// KindErrorRate limits the canary's error rate by a one-sample
	// sequential test over the release.
	KindErrorRate Kind = "error-rate"
	// KindErrorRatio compares the canary's error rate with the primary's by
	// a sequential test over the whole release.
	KindErrorRatio Kind = "error-rate-relative"
	// KindLatency limits a latency quantile, in milliseconds or as a
	// ratio to the primary's, by a one-sample sequential test on the share
	// of the release's requests slower than the limit.
	KindLatency Kind = "latency"
	// KindCPU and KindMemory limit the canary's use per pod as a ratio to
	// the primary's.
	KindCPU    Kind = "cpu"
	KindMemory Kind = "memory"
	// KindQuery is a user's PromQL condition.
	KindQuery Kind = "query"
	// KindWebhook asks an external service.
	KindWebhook Kind = "webhook"
)

// Spec is one configured gate: one check with its own verdict.
type Spec struct {
	// Name is the gate's name in verdicts, events and metrics, for
	// example "error-rate max=1%" or "latency p99<500ms".
	Name string
	// Key and Value are the annotation the gate was configured by.
	Key   string
	Value string
	Kind  Kind
	// Limit is the threshold: a fraction for KindErrorRate, milliseconds
	// or (Ratio) a ratio for KindLatency, a ratio for KindCPU/KindMemory.
	Limit float64
	// Ratio is true when Limit is relative to the primary (KindLatency).
	Ratio bool
	// Quantile of the latency gate, in (0, 1).
	Quantile float64
	// Rate is the one-sample sequential test of KindErrorRate (on the
	// error rate) and KindLatency (on the share of requests slower than
	// the limit).
	Rate seqtest.Rate
	// Test is the sequential ratio test of KindErrorRatio, and Floor its
	// one-sample test against the absolute floor.
	Test  seqtest.Design
	Floor seqtest.Rate
	// Condition is the query of KindQuery.
	Condition promql.Condition
	// URL is the webhook of KindWebhook.
	URL string
	// MinRequests is how many canary requests the step must have served
	// before an error-rate or latency gate passes it; a Fail never waits
	// for it.
	MinRequests float64
}

// Specs are the gates of one Deployment, sorted by name.
type Specs []Spec

// needsPrometheus reports whether the spec reads telemetry.
func (s Spec) needsPrometheus() bool { return s.Kind != KindWebhook }
