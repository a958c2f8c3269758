package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// prometheusConfig scrapes every target listed in a file_sd file, so targets can
// change while Prometheus runs. A target group's "job" label names its job.
const prometheusConfig = `global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
  evaluation_interval: %[1]s
scrape_configs:
- job_name: loopback
  file_sd_configs:
  - files: [%[2]q]
    refresh_interval: %[1]s
`

// scrapeTargets is the file_sd file Prometheus reads its targets from.
type scrapeTargets struct {
	mu   sync.Mutex
	path string
	jobs map[string][]string
}

// startPrometheus writes Prometheus' configuration and targets and starts it with
// storage in the temporary folder; Start waits for it to be ready.
func (c *Cluster) startPrometheus(bin string, opts PrometheusOptions) error {
	port, err := FreePort()
	if err != nil {
		return err
	}
	dir := filepath.Join(c.RunDir, "prometheus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create prometheus folder: %w", err)
	}
	c.scrape = &scrapeTargets{path: filepath.Join(dir, "targets.json"), jobs: map[string][]string{}}
	for job, targets := range opts.Jobs {
		c.scrape.jobs[job] = slices.Clone(targets)
	}
	if err := c.scrape.write(); err != nil {
		return err
	}
	config := filepath.Join(dir, "prometheus.yml")
	interval := promDuration(opts.ScrapeInterval)
	if err := os.WriteFile(config, fmt.Appendf(nil, prometheusConfig, interval, c.scrape.path), 0o644); err != nil {
		return fmt.Errorf("write prometheus config: %w", err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	c.PrometheusURL = "http://" + listen
	_, err = c.run(tierStorage, "prometheus", bin,
		"--config.file="+config,
		"--web.listen-address="+listen,
		"--storage.tsdb.path="+filepath.Join(c.dataDir, "prometheus"),
		"--storage.tsdb.retention.time=1h")
	return err
}

// Scrape sets the loopback addresses ("127.0.0.1:PORT", metrics at /metrics)
// Prometheus scrapes under job; no address removes the job. Prometheus picks
// the change up within a scrape interval.
func (c *Cluster) Scrape(job string, addresses ...string) error {
	if c.scrape == nil {
		return errors.New("the cluster was started without Prometheus")
	}
	c.scrape.mu.Lock()
	defer c.scrape.mu.Unlock()
	if len(addresses) == 0 {
		delete(c.scrape.jobs, job)
	} else {
		c.scrape.jobs[job] = slices.Clone(addresses)
	}
	return c.scrape.write()
}

// write replaces the targets file in one rename, so Prometheus never reads half of it.
func (s *scrapeTargets) write() error {
	type group struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels"`
	}
	groups := []group{}
	for _, job := range slices.Sorted(maps.Keys(s.jobs)) {
		groups = append(groups, group{Targets: s.jobs[job], Labels: map[string]string{"job": job}})
	}
	data, err := json.MarshalIndent(groups, "", "  ")
	if err != nil {
		return fmt.Errorf("encode scrape targets: %w", err)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("write scrape targets: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("replace scrape targets: %w", err)
	}
	return nil
}

// promDuration formats d as a Prometheus duration ("2s", "500ms").
func promDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}
