package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// meshcanaryGrace is how long the controller may take to stop after SIGTERM
// before it is killed.
const meshcanaryGrace = 10 * time.Second

// meshcanaryReady bounds how long Start waits for the controller's probe.
const meshcanaryReady = time.Minute

// Meshcanary runs bin/meshcanary's controller command as a [Process],
// appending its output to meshcanary.log in the cluster's run folder. It
// can be killed and started again on the same metrics address.
type Meshcanary struct {
	// MetricsAddr serves /metrics, /healthz and /readyz.
	MetricsAddr string
	// LogPath is the controller's log, restarts included.
	LogPath string

	opts  ProcessOptions
	probe string

	mu   sync.Mutex
	proc *Process // nil once killed or stopped
}

// MeshcanaryOptions configures [Cluster.StartMeshcanary].
type MeshcanaryOptions struct {
	// Args are added to `meshcanary controller --kubeconfig K
	// --leader-elect=false --metrics-bind-address ADDR --log-format console`
	// (so "--leader-elect=true" among them turns leader election on).
	Args []string
	// Env is added to the process's environment ("NAME=value").
	Env []string
	// Kubeconfig replaces the cluster admin's kubeconfig, for example with
	// a [Proxy]'s or a ServiceAccount's.
	Kubeconfig string
	// Name names the log, <Name>.log in the run folder (default meshcanary).
	Name string
	// Probe is the endpoint Start waits to answer 200: /readyz by default,
	// /healthz for a controller that is not expected to become ready.
	Probe string
	// Bin is the controller binary; empty means <repo>/bin/meshcanary.
	Bin string
}

// StartMeshcanary starts the controller command of opts.Bin (by default
// <repo>/bin/meshcanary) against the cluster as a separate process (as it
// runs in a real cluster), with its output appended to meshcanary.log (or
// <Name>.log) in RunDir, and waits until it serves /readyz. Stop it with
// [Meshcanary.Stop]; [Cluster.Stop] does not.
func (c *Cluster) StartMeshcanary(opts MeshcanaryOptions) (*Meshcanary, error) {
	bin, err := meshcanaryBin(opts.Bin)
	if err != nil {
		return nil, err
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	kubeconfig, name, probe := c.Kubeconfig, "meshcanary", "/readyz"
	if opts.Kubeconfig != "" {
		kubeconfig = opts.Kubeconfig
	}
	if opts.Name != "" {
		name = opts.Name
	}
	if opts.Probe != "" {
		probe = opts.Probe
	}
	p := &Meshcanary{
		MetricsAddr: addr,
		LogPath:     filepath.Join(c.RunDir, name+".log"),
		opts: ProcessOptions{Name: name, LogDir: c.RunDir, Bin: bin, Env: opts.Env, Grace: meshcanaryGrace,
			Args: append([]string{"controller",
				"--kubeconfig", kubeconfig,
				"--leader-elect=false",
				"--metrics-bind-address", addr,
				"--log-format", "console",
			}, opts.Args...)},
		probe: probe,
	}
	return p, p.Start()
}

// meshcanaryBin returns the absolute path of bin, by default
// <repo>/bin/meshcanary, checking that it exists and, for the default, that
// it is not older than the product's sources (a stale binary would test
// old code).
func meshcanaryBin(bin string) (string, error) {
	if bin == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		bin = filepath.Join(root, "bin", "meshcanary")
		if err := builtSinceSources(root, bin); err != nil {
			return "", err
		}
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return "", fmt.Errorf("the controller binary: %w", err)
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("the controller binary: %w (run `make build`)", err)
	}
	return bin, nil
}

// Start starts the controller (again, after Kill or Stop) on the same
// metrics address and waits until it serves its probe (/readyz unless
// MeshcanaryOptions.Probe says otherwise).
func (p *Meshcanary) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	proc, err := StartProcess(p.opts)
	if err != nil {
		return fmt.Errorf("starting the controller: %w", err)
	}
	p.proc = proc
	return proc.WaitServing("http://"+p.MetricsAddr+p.probe, meshcanaryReady)
}

// Kill sends SIGKILL to the controller's process group, as a node failure
// or an OOM kill would, and waits for the process to be gone.
func (p *Meshcanary) Kill() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return errors.New("the controller is not running")
	}
	if err := p.proc.Kill(); err != nil {
		return err
	}
	p.appendLog("--- killed with SIGKILL by the test ---")
	p.proc = nil
	return nil
}

// Stop sends SIGTERM, then SIGKILL after meshcanaryGrace.
func (p *Meshcanary) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil {
		p.proc.Stop()
		p.proc = nil
	}
}

// Running reports whether the controller process is alive.
func (p *Meshcanary) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proc != nil && p.proc.Running()
}

// Pid returns the process id of the running controller (also its process
// group's), 0 when none runs. With leader election on, the controller's
// identity in the Lease is <hostname>_<pid>.
func (p *Meshcanary) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil {
		return 0
	}
	return p.proc.Pid()
}

func (p *Meshcanary) appendLog(line string) {
	if f, err := os.OpenFile(p.LogPath, os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
		fmt.Fprintln(f, line)
		_ = f.Close()
	}
}

// LogLines returns the last n lines of the controller's log that contain
// every one of the given strings (all lines when none is given), restarts
// included.
func (p *Meshcanary) LogLines(n int, contains ...string) string {
	f, err := os.Open(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.LogPath, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if containsAll(line, contains) {
			lines = append(lines, line)
			if len(lines) > 2*n {
				lines = lines[len(lines)-n:]
			}
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
