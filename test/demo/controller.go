package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/meshcanary/meshcanary/test/cluster"
)

// controllerProcess is bin/meshcanary running as a separate process, as it
// would in a cluster.
type controllerProcess struct {
	cmd         *exec.Cmd
	metricsAddr string
}

func startController(ctx context.Context, c *cluster.Cluster) (*controllerProcess, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	bin, err := filepath.Abs("bin/meshcanary")
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(c.RunDir, "meshcanary.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "controller",
		"--kubeconfig", c.Kubeconfig,
		"--leader-elect=false",
		"--metrics-bind-address", addr,
		"--prometheus-url", c.PrometheusURL,
		"--log-format", "console")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (run `make build` first): %w", bin, err)
	}
	return &controllerProcess{cmd: cmd, metricsAddr: addr}, nil
}

func (p *controllerProcess) stop() {
	if p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		_ = p.cmd.Wait()
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
