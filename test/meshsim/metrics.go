package meshsim

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
)

// Reporter label values: the proxy that records a request.
const (
	ReporterSource      = "source"
	ReporterDestination = "destination"
)

// EnvoyBuckets are Envoy's default histogram buckets in milliseconds, used by
// istio_request_duration_milliseconds.
var EnvoyBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// istioLabels are the labels of Istio's standard request metrics, in order.
var istioLabels = []string{
	"reporter",
	"source_workload", "source_workload_namespace",
	"destination_workload", "destination_workload_namespace",
	"destination_service", "destination_service_name", "destination_service_namespace",
	"response_code", "response_flags", "grpc_response_status",
	"request_protocol", "connection_security_policy",
}

// podLabels are the labels of the cAdvisor-like container series.
var podLabels = []string{"namespace", "pod", "container"}

// metrics holds the simulator's Prometheus series.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	cpu      *prometheus.CounterVec
	memory   *prometheus.GaugeVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "istio_requests_total",
			Help: "Requests seen by the simulated Envoy proxies.",
		}, istioLabels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "istio_request_duration_milliseconds",
			Help:    "Request durations seen by the simulated Envoy proxies.",
			Buckets: EnvoyBuckets,
		}, istioLabels),
		cpu: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "container_cpu_usage_seconds_total",
			Help: "CPU seconds spent by simulated containers.",
		}, podLabels),
		memory: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "container_memory_working_set_bytes",
			Help: "Working set of simulated containers.",
		}, podLabels),
	}
	m.registry.MustRegister(m.requests, m.duration, m.cpu, m.memory)
	return m
}

// report is one proxy's record of one request.
type report struct {
	reporter string
	source   Source
	pod      *corev1.Pod // nil when the mesh answered itself
	service  ServiceRef
	code     int
	flags    string
	latency  time.Duration
}

// record adds one request to istio_requests_total and
// istio_request_duration_milliseconds.
func (m *metrics) record(r report) {
	workload, workloadNS := unknown, unknown
	if r.pod != nil {
		workload, workloadNS = WorkloadName(r.pod), r.pod.Namespace
	}
	service, name, ns := unknown, unknown, unknown
	if r.service.Name != "" {
		service, name, ns = r.service.FQDN(), r.service.Name, r.service.Namespace
	}
	// Istio cannot know the server's security policy at the client.
	policy := unknown
	if r.reporter == ReporterDestination {
		policy = "mutual_tls"
	}
	values := []string{
		r.reporter,
		r.source.Workload, r.source.Namespace,
		workload, workloadNS,
		service, name, ns,
		strconv.Itoa(r.code), r.flags, "",
		"http", policy,
	}
	m.requests.WithLabelValues(values...).Inc()
	m.duration.WithLabelValues(values...).Observe(float64(r.latency) / float64(time.Millisecond))
}

// podSeen creates or updates a pod's container series.
func (m *metrics) podSeen(pod *corev1.Pod, b Behaviour) {
	labels := []string{pod.Namespace, pod.Name, containerName(pod)}
	m.cpu.WithLabelValues(labels...).Add(0)
	m.memory.WithLabelValues(labels...).Set(b.MemoryBytes)
}

// podServed charges a request's CPU to the pod's container.
func (m *metrics) podServed(pod *corev1.Pod, b Behaviour) {
	m.cpu.WithLabelValues(pod.Namespace, pod.Name, containerName(pod)).Add(b.CPUPerRequest)
}

// podGone removes a deleted pod's container series.
func (m *metrics) podGone(pod *corev1.Pod) {
	labels := []string{pod.Namespace, pod.Name, containerName(pod)}
	m.cpu.DeleteLabelValues(labels...)
	m.memory.DeleteLabelValues(labels...)
}
