package cluster

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// meshcanaryGrace is how long the controller may take to stop after SIGTERM
// before it is killed.
const meshcanaryGrace = 10 * time.Second

// Meshcanary runs bin/meshcanary's controller command as a
// subprocess, appending its output to meshcanary.log in the cluster's run
// folder. It can be killed and started again on the same metrics address.
type Meshcanary struct {
	// MetricsAddr serves /metrics, /healthz and /readyz.
	MetricsAddr string
	// LogPath is the controller's log, restarts included.
	LogPath string

	bin       string
	args, env []string
	probe     string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
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
	// a [Proxy]'s.
	Kubeconfig string
	// Name names the log, <Name>.log in the run folder (default meshcanary).
	Name string
	// Probe is the endpoint Start waits to answer 200: /readyz by default,
	// /healthz for a controller that is not expected to become ready.
	Probe string
}

// StartMeshcanary starts <repo>/bin/meshcanary's controller command against
// the cluster as a separate process (as it runs in a real cluster), with
// its output appended to meshcanary.log (or <Name>.log) in RunDir, and waits until it
// serves /readyz. Stop it with [Meshcanary.Stop]; [Cluster.Stop] does not.
func (c *Cluster) StartMeshcanary(opts MeshcanaryOptions) (*Meshcanary, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(root, "bin", "meshcanary")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the controller binary: %w (run `make build`)", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	kubeconfig, name := c.Kubeconfig, "meshcanary"
	if opts.Kubeconfig != "" {
		kubeconfig = opts.Kubeconfig
	}
	if opts.Name != "" {
		name = opts.Name
	}
	p := &Meshcanary{
		bin:         bin,
		LogPath:     filepath.Join(c.RunDir, name+".log"),
		MetricsAddr: addr,
		args: append([]string{"controller",
			"--kubeconfig", kubeconfig,
			"--leader-elect=false",
			"--metrics-bind-address", addr,
			"--log-format", "console",
		}, opts.Args...),
		env:   opts.Env,
		probe: opts.Probe,
	}
	if p.probe == "" {
		p.probe = "/readyz"
	}
	return p, p.Start()
}

// Start starts the controller (again, after Kill or Stop) on the same
// metrics address and waits until it serves its probe (/readyz unless
// MeshcanaryOptions.Probe says otherwise).
func (p *Meshcanary) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	log, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("controller log: %w", err)
	}
	fmt.Fprintf(log, "$ %s %s\n", p.bin, strings.Join(p.args, " "))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), p.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return fmt.Errorf("starting the controller: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = log.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
	return p.waitReady(done)
}

// waitReady polls the probe until it answers 200, failing if the process
// exits.
func (p *Meshcanary) waitReady(done chan struct{}) error {
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-done:
			return fmt.Errorf("the controller exited at start, see %s", p.LogPath)
		default:
		}
		resp, err := http.Get("http://" + p.MetricsAddr + p.probe)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the controller did not serve %s within a minute: %v", p.probe, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Kill sends SIGKILL, as a node failure or an OOM kill would, and waits for
// the process to be gone.
func (p *Meshcanary) Kill() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return errors.New("the controller is not running")
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing the controller: %w", err)
	}
	<-p.done
	p.appendLog("--- killed with SIGKILL by the test ---")
	p.cmd = nil
	return nil
}

// Stop sends SIGTERM, then SIGKILL after meshcanaryGrace.
func (p *Meshcanary) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(meshcanaryGrace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	p.cmd = nil
}

// Running reports whether the controller process is alive.
func (p *Meshcanary) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Pid returns the process id of the running controller, 0 when none runs.
// With leader election on, the controller's identity in the Lease is
// <hostname>_<pid>.
func (p *Meshcanary) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
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
