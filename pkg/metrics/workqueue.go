package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/util/workqueue"
)

// WorkqueueProvider implements workqueue.MetricsProvider on a registry, with
// the metric names controller-runtime uses (workqueue_depth, ...).
type WorkqueueProvider struct {
	depth, unfinished, longest *prometheus.GaugeVec
	addsC, retriesC            *prometheus.CounterVec
	latencyH, workH            *prometheus.HistogramVec
}

// NewWorkqueueProvider creates the workqueue metrics and registers them on reg.
func NewWorkqueueProvider(reg prometheus.Registerer) *WorkqueueProvider {
	buckets := prometheus.ExponentialBuckets(1e-6, 10, 11)
	p := &WorkqueueProvider{
		depth:      gaugeVec("", "workqueue_depth", "Current depth of the workqueue.", "name"),
		unfinished: gaugeVec("", "workqueue_unfinished_work_seconds", "Seconds of work in progress not yet observed by work_duration.", "name"),
		longest:    gaugeVec("", "workqueue_longest_running_processor_seconds", "Seconds the longest running processor has been running.", "name"),
		addsC:      counterVec("", "workqueue_adds_total", "Adds handled by the workqueue.", "name"),
		retriesC:   counterVec("", "workqueue_retries_total", "Retries handled by the workqueue.", "name"),
		latencyH: histogramVec("", "workqueue_queue_duration_seconds", "Seconds an item stays in the workqueue before being processed.",
			buckets, "name"),
		workH: histogramVec("", "workqueue_work_duration_seconds", "Seconds processing an item from the workqueue takes.", buckets, "name"),
	}
	reg.MustRegister(p.depth, p.unfinished, p.longest, p.addsC, p.retriesC, p.latencyH, p.workH)
	return p
}

// NewDepthMetric implements workqueue.MetricsProvider.
func (p *WorkqueueProvider) NewDepthMetric(name string) workqueue.GaugeMetric {
	return p.depth.WithLabelValues(name)
}

// NewAddsMetric implements workqueue.MetricsProvider.
func (p *WorkqueueProvider) NewAddsMetric(name string) workqueue.CounterMetric {
	return p.addsC.WithLabelValues(name)
}

// NewLatencyMetric implements workqueue.MetricsProvider.
func (p *WorkqueueProvider) NewLatencyMetric(name string) workqueue.HistogramMetric {
	return p.latencyH.WithLabelValues(name)
}

// NewWorkDurationMetric implements workqueue.MetricsProvider.
func (p *WorkqueueProvider) NewWorkDurationMetric(name string) workqueue.HistogramMetric {
	return p.workH.WithLabelValues(name)
}

// NewUnfinishedWorkSecondsMetric implements workqueue.MetricsProvider.
func (p *WorkqueueProvider) NewUnfinishedWorkSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return p.unfinished.WithLabelValues(name)
}

// NewLongestRunningProcessorSecondsMetric implements workqueue.MetricsProvider.
func (p *WorkqueueProvider) NewLongestRunningProcessorSecondsMetric(name string) workqueue.SettableGaugeMetric {
	return p.longest.WithLabelValues(name)
}

// NewRetriesMetric implements workqueue.MetricsProvider.
func (p *WorkqueueProvider) NewRetriesMetric(name string) workqueue.CounterMetric {
	return p.retriesC.WithLabelValues(name)
}
