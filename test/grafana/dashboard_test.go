package grafana

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/metrics"
)

// istioMetrics are the Istio standard metrics the dashboard may read.
var istioMetrics = []string{
	"istio_requests_total",
	"istio_request_duration_milliseconds_bucket",
	"istio_request_duration_milliseconds_sum",
	"istio_request_duration_milliseconds_count",
}

// recorder is a Registerer that keeps what is registered on it.
type recorder struct{ collectors []prometheus.Collector }

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	r.collectors = append(r.collectors, cs...)
}

func (r *recorder) Unregister(prometheus.Collector) bool { return false }

// fqName reads the metric name out of a Desc's String form.
var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// exported returns the names of every series the controller exports: its
// own metrics, the workqueue's and the gates', with a histogram's _bucket,
// _sum and _count.
func exported(t *testing.T) []string {
	t.Helper()
	r := &recorder{}
	metrics.New(r)
	metrics.NewWorkqueueProvider(r)
	if _, err := gates.NewEvaluator(gates.Options{Registerer: r}); err != nil {
		t.Fatal(err)
	}
	names := slices.Clone(istioMetrics)
	for _, c := range r.collectors {
		descs := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(descs); close(descs) }()
		_, histogram := c.(prometheus.Histogram)
		_, histogramVec := c.(*prometheus.HistogramVec)
		for d := range descs {
			name := fqName.FindStringSubmatch(d.String())[1]
			names = append(names, name)
			if histogram || histogramVec {
				names = append(names, name+"_bucket", name+"_sum", name+"_count")
			}
		}
	}
	return names
}

// metricName matches the metric names of meshcanary, the workqueue and Istio.
var metricName = regexp.MustCompile(`\b(?:meshcanary|workqueue|istio)_[a-zA-Z0-9_]+`)

func TestDashboardQueriesOnlyMetricsTheControllerOrIstioExport(t *testing.T) {
	queries, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	known := exported(t)
	used := map[string]bool{}
	for _, q := range queries {
		for _, name := range metricName.FindAllString(q.Expr, -1) {
			used[name] = true
			if !slices.Contains(known, name) {
				t.Errorf("%s %s: %s is not exported by the controller or Istio", q.Panel, q.RefID, name)
			}
		}
	}
	for _, want := range []string{
		"meshcanary_canary_weight_percent", "meshcanary_canary_phase", "meshcanary_canary_step",
		"meshcanary_gate_value", "istio_requests_total", "istio_request_duration_milliseconds_bucket",
		"meshcanary_releases_total", "meshcanary_reconcile_errors_total", "workqueue_depth",
		"meshcanary_step_lag_seconds_bucket",
	} {
		if !used[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
}

func TestEveryPanelHasQueriesWhoseVariablesAreDefined(t *testing.T) {
	queries, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) < 10 {
		t.Fatalf("only %d queries", len(queries))
	}
	for _, q := range queries {
		if strings.TrimSpace(q.Expr) == "" {
			t.Errorf("%s %s: empty expression", q.Panel, q.RefID)
		}
		if left := Unexpanded(Expand(q.Expr, AllValues)); len(left) > 0 {
			t.Errorf("%s %s: undefined variables %v", q.Panel, q.RefID, left)
		}
	}
}

func TestQueriesReadsTargetsOfNestedPanelsAndVariables(t *testing.T) {
	dashboard := `{
		"panels": [
			{"type": "row", "title": "r", "panels": [{"title": "inner", "targets": [{"refId": "A", "expr": "up"}]}]},
			{"title": "top", "targets": [{"refId": "B", "expr": "sum(x)", "instant": true}]}
		],
		"templating": {"list": [
			{"name": "datasource", "type": "datasource", "query": "prometheus"},
			{"name": "ns", "type": "query", "query": {"query": "label_values(kube_pod_info{a=\"b\"}, namespace)"}}
		]}
	}`
	got, err := Queries([]byte(dashboard))
	if err != nil {
		t.Fatal(err)
	}
	want := []Query{
		{Panel: "inner", RefID: "A", Expr: "up"},
		{Panel: "top", RefID: "B", Expr: "sum(x)", Instant: true},
		{Panel: "variable ns", Expr: `kube_pod_info{a="b"}`},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestExpand(t *testing.T) {
	tests := map[string]struct{ expr, want string }{
		"dollar, braces and brackets are replaced": {
			`x{ns=~"$namespace", d=~"${deployment}", e=~"[[namespace]]"}[$__rate_interval]`,
			`x{ns=~".+", d=~".+", e=~".+"}[1m]`,
		},
		"an unknown variable is left for Unexpanded to report": {`x[$__foo]`, `x[$__foo]`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Expand(tc.expr, AllValues); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
