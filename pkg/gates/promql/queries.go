package promql

import "time"

// The batch queries below cover one namespace and are grouped so that one
// answer serves every canary of the namespace: the gates pick their
// workloads' series out of it. They are instant queries of cumulative
// counters (requests, duration buckets); the gates subtract a baseline
// taken at the start of the step, so one query serves every window.

// Requests counts the requests served by each workload of namespace, by
// HTTP response code and gRPC status, as reported by the destination's
// sidecar.
func Requests(namespace string) string {
	return `sum by (destination_workload, response_code, grpc_response_status) (istio_requests_total{reporter="destination", destination_workload_namespace=` +
		String(namespace) + `})`
}

// Durations is the cumulative request-duration histogram (milliseconds) of
// each workload of namespace, by bucket.
func Durations(namespace string) string {
	return `sum by (destination_workload, le) (istio_request_duration_milliseconds_bucket{reporter="destination", destination_workload_namespace=` +
		String(namespace) + `})`
}

// CPU is the CPU use in cores of each pod of namespace over window,
// summed over the pod's containers (the pause container and the pod-level
// cgroup series excluded).
func CPU(namespace string, window time.Duration) string {
	return `sum by (pod) (rate(container_cpu_usage_seconds_total{namespace=` + String(namespace) +
		`, container!="", container!="POD"}[` + Duration(window) + `]))`
}

// Memory is the working-set memory in bytes of each pod of namespace,
// summed over its containers.
func Memory(namespace string) string {
	return `sum by (pod) (container_memory_working_set_bytes{namespace=` + String(namespace) +
		`, container!="", container!="POD"})`
}
