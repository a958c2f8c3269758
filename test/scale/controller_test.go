//go:build scale

package scale

import (
	"bufio"
	"fmt"
	"math"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// stopGrace is how long a controller may take to stop after SIGTERM.
const stopGrace = 10 * time.Second

// subprocess is a running controller: a *cluster.Meshcanary or, for
// Flagger, a *cluster.Process.
type subprocess interface {
	Pid() int
	Running() bool
	Stop()
}

// controllerProcess is the controller under test (bin/meshcanary's
// controller command, or Flagger) running as a subprocess against the
// counting proxy, its output in <name>.log.
type controllerProcess struct {
	subprocess
	name        string
	logPath     string
	metricsAddr string // serves /metrics

	mu     sync.Mutex
	maxRSS int64 // bytes, the largest VmRSS sampled
}

// watchController samples the resident memory of the controller p every
// second until it exits.
func watchController(name, logPath, metricsAddr string, p subprocess) *controllerProcess {
	c := &controllerProcess{subprocess: p, name: name, logPath: logPath, metricsAddr: metricsAddr}
	go c.sampleMemory()
	return c
}

// scrape reads the controller's /metrics.
func (p *controllerProcess) scrape() (families, error) {
	resp, err := http.Get("http://" + p.metricsAddr + "/metrics")
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", p.name, err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parsing the metrics of %s: %w", p.name, err)
	}
	return mf, nil
}

// logLines returns the controller's log lines that contain s (upper case,
// matched against the line in upper case: JSON logs say "warn"), at most n of
// them (the first ones), and how many there are in all.
func (p *controllerProcess) logLines(s string, n int) ([]string, int) {
	f, err := os.Open(p.logPath)
	if err != nil {
		return []string{err.Error()}, 0
	}
	defer f.Close()
	var lines []string
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.Contains(strings.ToUpper(sc.Text()), s) {
			total++
			if len(lines) < n {
				lines = append(lines, sc.Text())
			}
		}
	}
	return lines, total
}

// families are parsed metrics by name.
type families map[string]*dto.MetricFamily

// sum adds up the counter, gauge or untyped samples of name whose labels
// include every pair of match.
func (f families) sum(name string, match map[string]string) float64 {
	mf, ok := f[name]
	if !ok {
		return 0
	}
	total := 0.0
	for _, m := range mf.GetMetric() {
		if !hasLabels(m, match) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Untyped != nil:
			total += m.GetUntyped().GetValue()
		}
	}
	return total
}

// buckets returns the cumulative buckets of the histogram name, summed over
// its series, by upper bound.
func (f families) buckets(name string) map[float64]float64 {
	out := map[float64]float64{}
	mf, ok := f[name]
	if !ok {
		return out
	}
	for _, m := range mf.GetMetric() {
		h := m.GetHistogram()
		for _, b := range h.GetBucket() {
			if !math.IsInf(b.GetUpperBound(), 1) { // the sample count is the +Inf bucket
				out[b.GetUpperBound()] += float64(b.GetCumulativeCount())
			}
		}
		out[infinity] += float64(h.GetSampleCount())
	}
	return out
}

// histogram returns the observation count and sum of the histogram name,
// summed over its series.
func (f families) histogram(name string) (count, sum float64) {
	for _, m := range f[name].GetMetric() {
		count += float64(m.GetHistogram().GetSampleCount())
		sum += m.GetHistogram().GetSampleSum()
	}
	return count, sum
}

func hasLabels(m *dto.Metric, match map[string]string) bool {
	found := 0
	for _, l := range m.GetLabel() {
		if v, ok := match[l.GetName()]; ok && v == l.GetValue() {
			found++
		}
	}
	return found == len(match)
}

func TestFamiliesReadTheTextFormat(t *testing.T) {
	const text = `# TYPE meshcanary_step_lag_seconds histogram
meshcanary_step_lag_seconds_bucket{le="0.005"} 3
meshcanary_step_lag_seconds_bucket{le="0.25"} 4
meshcanary_step_lag_seconds_bucket{le="+Inf"} 5
meshcanary_step_lag_seconds_sum 40.1
meshcanary_step_lag_seconds_count 5
# TYPE meshcanary_api_writes_total counter
meshcanary_api_writes_total{kind="VirtualService",verb="update"} 7
meshcanary_api_writes_total{kind="Deployment",verb="update"} 4
meshcanary_api_writes_total{kind="Deployment",verb="create"} 1
`
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mf, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	f := families(mf)
	if diff := cmp.Diff(map[float64]float64{0.005: 3, 0.25: 4, infinity: 5}, f.buckets("meshcanary_step_lag_seconds")); diff != "" {
		t.Errorf("buckets (-want +got):\n%s", diff)
	}
	sums := map[string]struct {
		match map[string]string
		want  float64
	}{
		"every series adds up without a match":     {nil, 12},
		"a match keeps the series with its labels": {map[string]string{"kind": "Deployment"}, 5},
		"a label pair no series has matches none":  {map[string]string{"kind": "HPA"}, 0},
	}
	for name, tc := range sums {
		t.Run(name, func(t *testing.T) {
			if got := f.sum("meshcanary_api_writes_total", tc.match); got != tc.want {
				t.Errorf("sum(%v) = %v, want %v", tc.match, got, tc.want)
			}
		})
	}
}
