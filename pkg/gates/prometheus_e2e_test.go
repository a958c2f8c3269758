//go:build e2e

package gates

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/meshcanary/meshcanary/pkg/gates/promql"
)

// The recorded series: one sample every 15 s for 20 minutes, ending at the
// recording's end. Each line gives a series and its increase per sample
// (counters) or its value (gauges).
type recorded struct {
	series string
	step   float64
	gauge  bool
}

const recordStep = 15 * time.Second

func recording() []recorded {
	req := func(w, code, grpc string, step float64) recorded {
		return recorded{fmt.Sprintf(`istio_requests_total{reporter="destination",destination_workload_namespace="shop",destination_workload=%q,response_code=%q,grpc_response_status=%q}`, w, code, grpc), step, false}
	}
	bucket := func(w, le string, step float64) recorded {
		return recorded{fmt.Sprintf(`istio_request_duration_milliseconds_bucket{reporter="destination",destination_workload_namespace="shop",destination_workload=%q,le=%q}`, w, le), step, false}
	}
	cpu := func(pod, container string, cores float64) recorded {
		return recorded{fmt.Sprintf(`container_cpu_usage_seconds_total{namespace="shop",pod=%q,container=%q}`, pod, container), cores * recordStep.Seconds(), false}
	}
	mem := func(pod, container string, mib float64) recorded {
		return recorded{fmt.Sprintf(`container_memory_working_set_bytes{namespace="shop",pod=%q,container=%q}`, pod, container), mib * (1 << 20), true}
	}
	return []recorded{
		req("web", "200", "", 30), req("web", "503", "", 2), req("web", "200", "14", 1),
		req("web-primary", "200", "", 300), req("web-primary", "503", "", 3),
		req("web-api", "500", "", 50), // another workload of the namespace
		bucket("web", "50", 20), bucket("web", "100", 28), bucket("web", "250", 32), bucket("web", "500", 33), bucket("web", "+Inf", 33),
		bucket("web-primary", "50", 250), bucket("web-primary", "100", 290), bucket("web-primary", "250", 303), bucket("web-primary", "500", 303), bucket("web-primary", "+Inf", 303),
		cpu("web-5d9f8b7c4-x2x7q", "app", 0.3), cpu("web-5d9f8b7c4-x2x7q", "", 5), cpu("web-5d9f8b7c4-x2x7q", "POD", 5),
		cpu("web-primary-6c8d5f9b8-bcdfg", "app", 0.1), cpu("web-primary-6c8d5f9b8-zxcvb", "app", 0.1),
		mem("web-5d9f8b7c4-x2x7q", "app", 150), mem("web-5d9f8b7c4-x2x7q", "", 999),
		mem("web-primary-6c8d5f9b8-bcdfg", "app", 100), mem("web-primary-6c8d5f9b8-zxcvb", "app", 100),
	}
}

// writeOpenMetrics renders the recording with samples 0..n at end-n*step..end.
func writeOpenMetrics(t *testing.T, path string, end time.Time, n int) {
	var b strings.Builder
	for _, r := range recording() {
		name := r.series[:strings.IndexByte(r.series, '{')]
		fmt.Fprintf(&b, "# TYPE %s unknown\n", name)
		for k := 0; k <= n; k++ {
			v := r.step * float64(k)
			if r.gauge {
				v = r.step
			}
			fmt.Fprintf(&b, "%s %v %d\n", r.series, v, end.Add(-time.Duration(n-k)*recordStep).Unix())
		}
	}
	b.WriteString("# EOF\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// binary finds a Prometheus program as test/cluster does: the repository's
// bin/ (hack/build-tools.sh), /usr/bin, PATH.
func binary(t *testing.T, name string) string {
	for _, p := range []string{filepath.Join("..", "..", "bin", name), "/usr/bin/" + name} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: run `make tools` (hack/build-tools.sh)", name)
	}
	return p
}

// startPrometheus backfills the recording and serves it on loopback.
func startPrometheus(t *testing.T, end time.Time, n int) string {
	dir := t.TempDir()
	input := filepath.Join(dir, "recording.om")
	writeOpenMetrics(t, input, end, n)
	data := filepath.Join(dir, "data")
	if out, err := exec.Command(binary(t, "promtool"), "tsdb", "create-blocks-from", "openmetrics", input, data).CombinedOutput(); err != nil {
		t.Fatalf("promtool: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(binary(t, "prometheus"), "--config.file="+cfg, "--storage.tsdb.path="+data,
		"--web.listen-address="+addr, "--storage.tsdb.retention.time=1d")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(url + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("prometheus not ready after 30s")
		}
	}
}

func TestGatesAgainstARealPrometheusFedWithRecordedIstioSeries(t *testing.T) {
	end := time.Now().Truncate(time.Second).Add(-5 * time.Second)
	url := startPrometheus(t, end, 80)
	stepStart := end.Add(-40 * recordStep) // 40 samples into the step
	ctx := context.Background()

	client, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		t.Fatal(err)
	}
	prom := v1.NewAPI(client)
	instant := func(q string, at time.Time) model.Vector {
		t.Helper()
		val, _, err := prom.Query(ctx, q, at)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return val.(model.Vector)
	}

	t.Run("the requests query returns the recorded counters by workload and class", func(t *testing.T) {
		got := map[string]float64{}
		for _, s := range instant(promql.Requests("shop"), end) {
			got[fmt.Sprintf("%s %s %s", s.Metric[labelWorkload], s.Metric[labelCode], s.Metric[labelGRPCStatus])] = float64(s.Value)
		}
		want := map[string]float64{"web 200 ": 2400, "web 503 ": 160, "web 200 14": 80, "web-primary 200 ": 24000, "web-primary 503 ": 240, "web-api 500 ": 4000}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})

	t.Run("the gates measure the step from its start", func(t *testing.T) {
		e, err := NewEvaluator(Options{PrometheusURL: url})
		if err != nil {
			t.Fatal(err)
		}
		s := specs(t, map[string]string{
			GatePrefix + KeyErrorRate: "max=5%, relative",
			GatePrefix + KeyLatency:   "p99<400ms, p50<1.5x",
			GatePrefix + KeyCPU:       "<2x",
			GatePrefix + KeyMemory:    "<2x",
			GatePrefix + "errors":     `sum(increase(istio_requests_total{destination_workload_namespace={{namespace}}, destination_workload={{canary}}, response_code="503"}[{{window}}])) < 100`,
		})
		r := Release{Namespace: "shop", Deployment: "web", Primary: "web-primary", Service: "web", Revision: "r1",
			Step: 1, CanaryWeight: 10, Total: 100, StepStart: stepStart, Now: time.Now()}
		got := map[string]string{}
		values := map[string]float64{}
		for _, v := range e.Evaluate(ctx, s, r) {
			got[v.Gate] = string(v.Result)
			if v.Value != nil {
				values[v.Gate] = *v.Value
			}
			t.Logf("%s: %s — %s", v.Gate, v.Result, v.Reason)
		}
		want := map[string]string{
			"error-rate max=5%": "Fail", "error-rate relative=1x": "Fail",
			"latency p99<400ms": "Fail", "latency p50<1.5x": "Pass",
			"cpu <2x": "Fail", "memory <2x": "Pass", "errors": "Pass",
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("results %v, want %v", got, want)
		}
		// 40 samples since the step start: 40×33 requests, 40×3 errors.
		checks := map[string]float64{"error-rate max=5%": 120.0 / 1320, "cpu <2x": 3, "memory <2x": 1.5}
		// The share of requests above the 250ms boundary (the one at or
		// below 400ms) over the same window, computed by Prometheus.
		w := `{reporter="destination", destination_workload_namespace="shop", destination_workload="web"}`
		inc := func(le string) string {
			return fmt.Sprintf(`(sum(istio_request_duration_milliseconds_bucket%s) - sum(istio_request_duration_milliseconds_bucket%s offset %s))`,
				strings.Replace(w, "}", `, le="`+le+`"}`, 1), strings.Replace(w, "}", `, le="`+le+`"}`, 1), promql.Duration(end.Sub(stepStart)))
		}
		checks["latency p99<400ms"] = float64(instant("1 - "+inc("250")+" / "+inc("+Inf"), end)[0].Value)
		for gate, want := range checks {
			if math.Abs(values[gate]-want) > 1e-9*math.Max(1, want) {
				t.Errorf("%s measured %v, want %v", gate, values[gate], want)
			}
		}
	})
}
