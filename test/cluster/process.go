package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// defaultGrace is how long a process may take to exit after SIGTERM before
// its whole process group is killed, unless [ProcessOptions].Grace says
// otherwise.
const defaultGrace = 5 * time.Second

// ProcessOptions configures [StartProcess].
type ProcessOptions struct {
	// Name names the process in errors and its log, <Name>.log in LogDir.
	Name string
	// LogDir holds the log, which is appended to (restarts included).
	LogDir string
	// Bin is the program and Args its arguments.
	Bin  string
	Args []string
	// Env is added to the test's environment ("NAME=value").
	Env []string
	// Grace is how long Stop waits after SIGTERM before SIGKILL; 0 means 5s.
	Grace time.Duration
}

// Process is one program a test runs: in its own process group (so that
// signals reach what it starts too), killed with SIGKILL should the test
// binary die (Pdeathsig), its output appended to its log. Every subprocess
// of the e2e suites, the benchmarks and the demo starts through
// [StartProcess].
type Process struct {
	// LogPath is the process's log.
	LogPath string

	name  string
	grace time.Duration
	cmd   *exec.Cmd
	done  chan struct{} // closed once the process has exited
	err   error         // how it exited; read only after done is closed
}

// StartProcess starts opts.Bin with opts.Args, its output appended to
// <LogDir>/<Name>.log after a line with the command.
func StartProcess(opts ProcessOptions) (*Process, error) {
	logPath := filepath.Join(opts.LogDir, opts.Name+".log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", opts.Name, err)
	}
	fmt.Fprintf(log, "$ %s %s\n", opts.Bin, strings.Join(opts.Args, " "))
	cmd := exec.Command(opts.Bin, opts.Args...)
	if len(opts.Env) > 0 {
		cmd.Env = append(os.Environ(), opts.Env...)
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("start %s: %w", opts.Name, err)
	}
	p := &Process{LogPath: logPath, name: opts.Name, grace: opts.Grace, cmd: cmd, done: make(chan struct{})}
	if p.grace <= 0 {
		p.grace = defaultGrace
	}
	go func() {
		p.err = cmd.Wait()
		_ = log.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the process id, which is also its process group's id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Running reports whether the process has not exited yet.
func (p *Process) Running() bool { return p.exitError() == nil }

// exitError reports, when the process has already exited, how it ended; nil
// while it runs.
func (p *Process) exitError() error {
	select {
	case <-p.done:
	default:
		return nil
	}
	reason := "exited"
	if p.err != nil {
		reason = p.err.Error()
	}
	return fmt.Errorf("%s stopped unexpectedly (%s), see %s", p.name, reason, p.LogPath)
}

// WaitServing polls url until it answers 200 and fails when the process
// exits first or timeout passes.
func (p *Process) WaitServing(url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := Poll(ctx, pollInterval, func(ctx context.Context) error {
		if err := p.exitError(); err != nil {
			return Permanent(err)
		}
		return httpOK(ctx, nil, url)
	})
	if err != nil {
		return fmt.Errorf("%s serving %s: %w", p.name, url, err)
	}
	return nil
}

// Kill sends SIGKILL to the process group, as a node failure or an OOM
// kill would, and returns once the process has exited.
func (p *Process) Kill() error {
	if err := syscall.Kill(-p.Pid(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-p.done
	return nil
}

// Stop sends SIGTERM to the process group, then SIGKILL after the grace
// period, and returns once the process has exited; what it left in its
// group is killed too. Stopping a process that has exited does nothing more.
func (p *Process) Stop() {
	pgid := p.Pid()
	select {
	case <-p.done:
	default:
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(p.grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		fmt.Fprintf(os.Stderr, "cluster: kill process group of %s: %v\n", p.name, err)
	}
}

// tail returns the last n lines of the file at path, reading at most its last 64 KiB.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	defer f.Close()
	const window = 64 << 10
	if info, err := f.Stat(); err == nil && info.Size() > window {
		_, _ = f.Seek(-window, io.SeekEnd)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read: %v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
