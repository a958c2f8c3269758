package meshsim

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"istio.io/api/networking/v1alpha3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// requestSeries formats one istio_requests_total series with every label.
func requestSeries(reporter, workload, workloadNS, service, code, flags, policy string) string {
	name, svcNS := unknown, unknown
	if service != unknown {
		name, svcNS, _ = strings.Cut(strings.TrimSuffix(service, ".svc.cluster.local"), ".")
	}
	return `istio_requests_total{connection_security_policy="` + policy +
		`",destination_service="` + service + `",destination_service_name="` + name +
		`",destination_service_namespace="` + svcNS + `",destination_workload="` + workload +
		`",destination_workload_namespace="` + workloadNS + `",grpc_response_status="",reporter="` + reporter +
		`",request_protocol="http",response_code="` + code + `",response_flags="` + flags +
		`",source_workload="meshsim",source_workload_namespace="meshsim"} 1` + "\n"
}

const requestsHeader = `# HELP istio_requests_total Requests seen by the simulated Envoy proxies.
# TYPE istio_requests_total counter
`

func TestMetricsCarryIstioLabels(t *testing.T) {
	const fqdn = "podinfo.shop.svc.cluster.local"
	mirrorToCanary := weighted("primary", 100)
	mirrorToCanary.Mirror = &v1alpha3.Destination{Host: app, Subset: "canary"}
	tests := map[string]struct {
		route *v1alpha3.HTTPRoute
		want  string
	}{
		"a request a pod answers is reported by both proxies": {
			route: weighted("primary", 0, "canary", 100),
			want: requestSeries("destination", "podinfo", ns, fqdn, "200", "-", "mutual_tls") +
				requestSeries("source", "podinfo", ns, fqdn, "200", "-", "unknown"),
		},
		"a request to a subset without Ready pods is reported by the source only as UH": {
			route: weighted("primary", 100),
			want:  requestSeries("source", unknown, unknown, fqdn, "503", "UH", "unknown"),
		},
		"a request to a missing subset is reported by the source only as NC": {
			route: weighted("v3", 100),
			want:  requestSeries("source", unknown, unknown, fqdn, "503", "NC", "unknown"),
		},
		"a mirrored copy is reported by the mirror's destination proxy only": {
			route: mirrorToCanary,
			want: requestSeries("destination", "podinfo", ns, fqdn, "200", "-", "mutual_tls") +
				requestSeries("destination", "podinfo-primary", ns, fqdn, "200", "-", "mutual_tls") +
				requestSeries("source", "podinfo-primary", ns, fqdn, "200", "-", "unknown"),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			objs := []runtime.Object{service(app), destinationRule(), canaryPod("a").obj(), virtualService(app, []string{app}, tc.route)}
			if tc.route == mirrorToCanary {
				objs = append(objs, primaryPod("a").obj())
			}
			s := startSim(t, objs...)
			s.Send(Request{Service: podinfo})
			if err := testutil.GatherAndCompare(s.metrics.registry, strings.NewReader(requestsHeader+tc.want), "istio_requests_total"); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestDurationHistogramHasEnvoyBucketsAndIstioLabels(t *testing.T) {
	s := startSim(t, service(app),
		canaryPod("a").annotate(LatencyAnnotation, "20").annotate(LatencySpreadAnnotation, "0").obj())
	s.Send(Request{Service: podinfo})
	families, err := s.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var series = families[0].GetMetric()[:0]
	for _, f := range families {
		if f.GetName() == "istio_request_duration_milliseconds" {
			series = f.GetMetric()
		}
	}
	if len(series) != 2 {
		t.Fatalf("%d series, want one per reporter", len(series))
	}
	wantLabels := slices.Sorted(slices.Values(istioLabels))
	for _, m := range series {
		var names []string
		for _, l := range m.GetLabel() {
			names = append(names, l.GetName())
		}
		if diff := cmp.Diff(wantLabels, names); diff != "" {
			t.Errorf("label names (-want +got):\n%s", diff)
		}
		var bounds []float64
		var below, atOrAbove uint64
		for _, b := range m.GetHistogram().GetBucket() {
			bounds = append(bounds, b.GetUpperBound())
			if b.GetUpperBound() == 10 {
				below = b.GetCumulativeCount()
			}
			if b.GetUpperBound() == 25 {
				atOrAbove = b.GetCumulativeCount()
			}
		}
		if diff := cmp.Diff(EnvoyBuckets, bounds); diff != "" {
			t.Errorf("buckets (-want +got):\n%s", diff)
		}
		if below != 0 || atOrAbove != 1 || m.GetHistogram().GetSampleSum() != 20 {
			t.Errorf("a 20 ms request: le=10 %d, le=25 %d, sum %g; want 0, 1, 20", below, atOrAbove, m.GetHistogram().GetSampleSum())
		}
	}
}

func TestContainerSeriesFollowPods(t *testing.T) {
	s := startSim(t, service(app), primaryPod("a").obj(),
		canaryPod("a").annotate(MemoryAnnotation, "50000000").annotate(CPUAnnotation, "0.25").obj())
	for range 4 {
		s.Send(Request{Service: ServiceRef{Namespace: ns, Name: app}})
	}
	const header = `# HELP container_memory_working_set_bytes Working set of simulated containers.
# TYPE container_memory_working_set_bytes gauge
`
	want := header +
		`container_memory_working_set_bytes{container="podinfo",namespace="shop",pod="podinfo-c4n4ry-a"} 5e+07` + "\n" +
		`container_memory_working_set_bytes{container="podinfo",namespace="shop",pod="podinfo-primary-pr1m-a"} 3.3554432e+07` + "\n"
	// The pod event handlers run after the caches report synced, so the
	// series may appear a moment after startSim returns.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := testutil.GatherAndCompare(s.metrics.registry, strings.NewReader(want), "container_memory_working_set_bytes")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := s.Counts(ns, app)
	canaryCPU := testutil.ToFloat64(s.metrics.cpu.WithLabelValues(ns, "podinfo-c4n4ry-a", app))
	if want := 0.25 * float64(c.Workloads["podinfo"]); canaryCPU != want {
		t.Errorf("canary CPU %g s, want %g for %d requests", canaryCPU, want, c.Workloads["podinfo"])
	}
	if err := s.kube.CoreV1().Pods(ns).Delete(context.Background(), "podinfo-c4n4ry-a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted pod's series to go", func() bool {
		return testutil.CollectAndCount(s.metrics.memory) == 1 && testutil.CollectAndCount(s.metrics.cpu) == 1
	})
}
