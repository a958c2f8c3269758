//go:build scale

package scale

import (
	"bufio"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// stopGrace is how long the controller may take to stop after SIGTERM.
const stopGrace = 10 * time.Second

// controllerProcess is the controller under test (bin/meshcanary's
// controller command, or Flagger) running as a subprocess against the
// counting proxy, its output in <name>.log.
type controllerProcess struct {
	name        string
	cmd         *exec.Cmd
	done        chan struct{}
	logPath     string
	metricsAddr string // serves /metrics and probe
	probe       string

	mu     sync.Mutex
	maxRSS int64 // bytes, the largest VmRSS sampled
}

// startController starts bin/meshcanary's controller command with the
// proxy's kubeconfig, logging at logLevel.
func startController(bin, kubeconfig, runDir, logLevel string) (*controllerProcess, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"controller", "--kubeconfig", kubeconfig, "--leader-elect=false",
		"--metrics-bind-address", addr, "--log-level", logLevel, "--log-format", "console"}
	return startProcess("meshcanary", bin, args, runDir, addr, "/readyz")
}

// freeAddr returns a loopback address nothing listened on a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startProcess starts bin with args, its output in <runDir>/<name>.log,
// waits until http://<addr><probe> answers 200 and samples its resident
// memory every second until it exits.
func startProcess(name, bin string, args []string, runDir, addr, probe string) (*controllerProcess, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the %s binary: %w (run `make build tools`)", name, err)
	}
	p := &controllerProcess{name: name, done: make(chan struct{}), logPath: filepath.Join(runDir, name+".log"),
		metricsAddr: addr, probe: probe}
	log, err := os.Create(p.logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the %s log: %w", name, err)
	}
	fmt.Fprintf(log, "$ %s %s\n", bin, strings.Join(args, " "))
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		_ = log.Close()
		close(p.done)
	}()
	go p.sampleMemory()
	return p, p.waitReady()
}

func (p *controllerProcess) waitReady() error {
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited at start, see %s", p.name, p.logPath)
		default:
		}
		resp, err := http.Get("http://" + p.metricsAddr + p.probe)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not serve %s within a minute: %v", p.name, p.probe, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// exited reports whether the controller has stopped.
func (p *controllerProcess) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the controller's process group, SIGKILL after stopGrace.
func (p *controllerProcess) stop() {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
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
