//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/meshcanary/meshcanary/test/cluster"
)

// controllerGrace is how long the controller may take to stop after SIGTERM
// before it is killed.
const controllerGrace = 10 * time.Second

// controllerProcess runs bin/meshcanary's controller command as a
// subprocess, appending its output to meshcanary.log in the cluster's run
// folder. It can be killed and started again on the same metrics address.
type controllerProcess struct {
	bin, logPath, metricsAddr string
	args, env                 []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// newControllerProcess prepares (without starting) the controller for the
// cluster, with gates reading Prometheus at promURL and the notification
// receiver "e2e" posting to notifyURL.
func newControllerProcess(c *cluster.Cluster, promURL, notifyURL string) (*controllerProcess, error) {
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
	return &controllerProcess{
		bin:         bin,
		logPath:     filepath.Join(c.RunDir, "meshcanary.log"),
		metricsAddr: addr,
		args: []string{"controller",
			"--kubeconfig", c.Kubeconfig,
			"--leader-elect=false",
			"--metrics-bind-address", addr,
			"--prometheus-url", promURL,
			"--log-format", "console",
			"--log-level", "debug",
			"--notify-receiver", notifyReceiverName + "=webhook,url-env=" + notifyURLEnv,
		},
		env: []string{notifyURLEnv + "=" + notifyURL},
	}, nil
}

// start starts the controller and waits until it serves /readyz.
func (p *controllerProcess) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
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

// waitReady polls /readyz until it answers 200, failing if the process exits.
func (p *controllerProcess) waitReady(done chan struct{}) error {
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-done:
			return fmt.Errorf("the controller exited at start, see %s", p.logPath)
		default:
		}
		resp, err := http.Get("http://" + p.metricsAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the controller did not serve /readyz within a minute: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill sends SIGKILL, as a node failure or an OOM kill would, and waits for
// the process to be gone.
func (p *controllerProcess) kill() error {
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

// stop sends SIGTERM, then SIGKILL after controllerGrace.
func (p *controllerProcess) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(controllerGrace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	p.cmd = nil
}

// running reports whether the controller process is alive.
func (p *controllerProcess) running() bool {
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

func (p *controllerProcess) appendLog(line string) {
	if f, err := os.OpenFile(p.logPath, os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
		fmt.Fprintln(f, line)
		_ = f.Close()
	}
}

// logLines returns the last n lines of the controller's log that contain
// every one of the given strings (all lines when none is given), restarts
// included.
func (p *controllerProcess) logLines(n int, contains ...string) string {
	f, err := os.Open(p.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.logPath, err)
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

// freePort returns a loopback TCP port that nothing listened on a moment ago.
func freePort() (int, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
