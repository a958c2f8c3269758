package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
)

// modulePath is the main module's path, used to recognise the repository root.
const modulePath = "github.com/meshcanary/meshcanary"

// binaries holds the path of every program a cluster runs.
type binaries struct {
	etcd, apiserver, controllerManager, scheduler, kwok, kwokStages, istioWebhook string
	prometheus, istiod                                                            string
}

// findBinaries locates the binaries built into binDir by hack/build-tools.sh.
// Prometheus is looked for in binDir, then /usr/bin, then PATH, and only when
// withPrometheus is set; pilot-discovery only when withIstiod is set.
func findBinaries(binDir string, withPrometheus, withIstiod bool) (binaries, error) {
	b := binaries{
		etcd:              filepath.Join(binDir, "etcd"),
		apiserver:         filepath.Join(binDir, "kube-apiserver"),
		controllerManager: filepath.Join(binDir, "kube-controller-manager"),
		scheduler:         filepath.Join(binDir, "kube-scheduler"),
		kwok:              filepath.Join(binDir, "kwok"),
		kwokStages:        filepath.Join(binDir, "kwok-stages.yaml"),
		istioWebhook:      filepath.Join(binDir, "istio-webhook"),
	}
	var missing []error
	for _, path := range []string{b.etcd, b.apiserver, b.controllerManager, b.scheduler, b.kwok, b.kwokStages, b.istioWebhook} {
		if _, err := os.Stat(path); err != nil {
			missing = append(missing, err)
		}
	}
	if withIstiod {
		b.istiod = filepath.Join(binDir, "pilot-discovery")
		if _, err := os.Stat(b.istiod); err != nil {
			missing = append(missing, err)
		}
	}
	if withPrometheus {
		b.prometheus = FindTool(binDir, "prometheus")
		if b.prometheus == "" {
			missing = append(missing, errors.New("prometheus not found in "+binDir+", /usr/bin or PATH"))
		}
	}
	if len(missing) > 0 {
		return b, fmt.Errorf("missing tools, run `make tools` (hack/build-tools.sh): %w", errors.Join(missing...))
	}
	return b, nil
}

// FindTool returns the path of the program name, looked for in binDir (where
// `make tools` and `make build` put what they build), then /usr/bin (a
// Debian package), then PATH; "" when it is in none of them.
func FindTool(binDir, name string) string {
	for _, path := range []string{filepath.Join(binDir, name), filepath.Join("/usr/bin", name)} {
		if _, err := os.Stat(path); err == nil {
			return path
		}
	}
	path, _ := exec.LookPath(name)
	return path
}

// RepoRoot returns the folder holding the main module's go.mod, searched from
// the working directory upwards (so also from test/xds, a module of its own).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(append([]byte("\n"), data...), []byte("\nmodule "+modulePath+"\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory", modulePath)
		}
		dir = parent
	}
}

// FreePort returns a TCP port on 127.0.0.1 that nothing listened on a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// FreeAddr returns a loopback address, "127.0.0.1:PORT", that nothing
// listened on a moment ago.
func FreeAddr() (string, error) {
	port, err := FreePort()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", port), nil
}
