package cluster

import "time"

// Options configures [Start]. The zero value starts a cluster with one fake node
// and no Prometheus, using the binaries in <repo>/bin.
type Options struct {
	// Name names the run; logs go to <repo>/.e2e/<Name>-<time>-<pid>/.
	// Empty means "cluster".
	Name string
	// Nodes is how many fake kwok nodes to create; 0 means 1.
	Nodes int
	// Prometheus, when not nil, also starts a Prometheus server.
	Prometheus *PrometheusOptions
	// Istiod also starts istiod (bin/pilot-discovery) out of cluster, serving
	// plaintext xDS at [Cluster.IstiodXDSAddress].
	Istiod bool
	// BinDir holds the binaries; empty means <repo>/bin.
	BinDir string
	// LogRoot is where the run's folder is made; empty means <repo>/.e2e.
	LogRoot string
	// StartTimeout bounds how long Start waits for everything to be ready;
	// 0 means 2 minutes.
	StartTimeout time.Duration
}

// PrometheusOptions configures the Prometheus server started with the cluster.
type PrometheusOptions struct {
	// ScrapeInterval is how often every target is scraped; 0 means 2s.
	ScrapeInterval time.Duration
	// Jobs maps a job name (the `job` label) to the loopback addresses
	// ("127.0.0.1:PORT", metrics at /metrics) it scrapes from the start.
	// More can be set later with [Cluster.Scrape].
	Jobs map[string][]string
}

func (o Options) withDefaults(root string) Options {
	if o.Name == "" {
		o.Name = "cluster"
	}
	if o.Nodes <= 0 {
		o.Nodes = 1
	}
	if o.BinDir == "" {
		o.BinDir = root + "/bin"
	}
	if o.LogRoot == "" {
		o.LogRoot = root + "/.e2e"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 2 * time.Minute
	}
	if o.Prometheus != nil && o.Prometheus.ScrapeInterval <= 0 {
		p := *o.Prometheus
		p.ScrapeInterval = 2 * time.Second
		o.Prometheus = &p
	}
	return o
}
