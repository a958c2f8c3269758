//go:build scale

package scale

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/meshcanary/meshcanary/test/cluster"
)

const (
	// flaggerModule is the module tools/flagger pins; its CRDs are in
	// flaggerCRDs inside it.
	flaggerModule = "github.com/fluxcd/flagger"
	flaggerCRDs   = "artifacts/flagger/crd.yaml"
	// flaggerThreshold is the Canary's analysis.threshold: there are no
	// metrics to fail, so a high one only keeps a slow cluster from
	// counting as failed checks.
	flaggerThreshold = 100
	// flaggerDeadline is the Canary's progressDeadlineSeconds: long enough
	// for the cluster's slowest rollout at N=1,000.
	flaggerDeadline = 3600
)

// flaggerContender runs Flagger 1.44.0, unmodified, built from tools/flagger
// into bin/flagger, with the Istio provider and no metrics.
type flaggerContender struct {
	bin, toolsDir, logLevel string
	replicas                int32
}

func (flaggerContender) name() string          { return "flagger" }
func (flaggerContender) watchesCanaries() bool { return true }

// install applies the three CRDs shipped in the Flagger module that
// tools/flagger pins (Canary, MetricTemplate, AlertProvider).
func (f flaggerContender) install(ctx context.Context, c *cluster.Cluster) error {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", flaggerModule)
	cmd.Dir = f.toolsDir
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("locating the %s module from %s (go list -m): %w", flaggerModule, f.toolsDir, err)
	}
	return c.ApplyCRDs(ctx, filepath.Join(strings.TrimSpace(string(out)), flaggerCRDs))
}

// deployment is the same Deployment meshcanary gets, without meshcanary's
// label and annotations.
func (f flaggerContender) deployment(name string) *appsv1.Deployment {
	return canaryDeployment(name, f.replicas, false)
}

// adopt creates one Canary per Deployment, equivalent to meshcanary's
// annotations: a 10 s interval, steps of 10 % up to 50 %, no metrics.
func (f flaggerContender) adopt(ctx context.Context, c *cluster.Cluster, names []string) error {
	dyn, err := dynamic.NewForConfig(c.AdminConfig())
	if err != nil {
		return fmt.Errorf("the dynamic client: %w", err)
	}
	_, _, err = forEach(names, func(name string) error {
		if _, err := dyn.Resource(flaggerCanaries).Namespace(namespace).Create(ctx, flaggerCanary(name), metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating Canary %s: %w", name, err)
		}
		return nil
	})
	return err
}

// flaggerCanary is the Canary of the Deployment name.
func flaggerCanary(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "flagger.app/v1beta1",
		"kind":       "Canary",
		"metadata":   map[string]any{"name": name, "namespace": namespace},
		"spec": map[string]any{
			"targetRef":               map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
			"progressDeadlineSeconds": int64(flaggerDeadline),
			"service":                 map[string]any{"port": int64(80), "targetPort": int64(8080)},
			"analysis": map[string]any{
				"interval":   stepInterval.String(),
				"threshold":  int64(flaggerThreshold),
				"stepWeight": int64(stepPercent),
				"maxWeight":  int64(stepCount * stepPercent),
			},
		},
	}}
}

// start runs bin/flagger against the proxy, watching the benchmark's
// namespace. Its metrics server address points at a closed port: no
// Canary has metrics, so Flagger never queries it (it logs once, at start,
// that the server is unreachable).
func (f flaggerContender) start(c *cluster.Cluster, kubeconfig string) (*controllerProcess, error) {
	bin, err := filepath.Abs(f.bin)
	if err != nil {
		return nil, fmt.Errorf("the flagger binary: %w", err)
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("the flagger binary: %w (run `make tools`)", err)
	}
	addr, err := cluster.FreeAddr()
	if err != nil {
		return nil, err
	}
	closed, err := cluster.FreeAddr()
	if err != nil {
		return nil, err
	}
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	p, err := cluster.StartProcess(cluster.ProcessOptions{Name: "flagger", LogDir: c.RunDir, Bin: bin, Grace: stopGrace,
		Args: []string{"-kubeconfig", kubeconfig, "-mesh-provider", "istio", "-namespace", namespace,
			"-metrics-server", "http://" + closed, "-log-level", f.logLevel, "-port", port}})
	if err != nil {
		return nil, err
	}
	return watchController("flagger", p.LogPath, addr, p), p.WaitServing("http://"+addr+"/healthz", time.Minute)
}
