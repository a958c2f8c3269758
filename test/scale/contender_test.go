//go:build scale

package scale

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/meshcanary/meshcanary/test/cluster"
)

// contender is a canary controller the benchmark releases the canaries
// with: meshcanary or Flagger. Everything else in a run (the cluster, the
// workload, the proxy, the watches, the image patch) is the same for both.
type contender interface {
	// name names the controller in tables, logs and the run folder.
	name() string
	// watchesCanaries reports whether the release status is on Flagger
	// Canary objects, which the observer must then watch.
	watchesCanaries() bool
	// install prepares the cluster before the workload exists.
	install(ctx context.Context, c *cluster.Cluster) error
	// deployment is the user's Deployment of the canary name.
	deployment(name string) *appsv1.Deployment
	// adopt hands the available Deployments to the controller.
	adopt(ctx context.Context, c *cluster.Cluster, names []string) error
	// start starts the controller with the proxy's kubeconfig.
	start(c *cluster.Cluster, kubeconfig string) (*controllerProcess, error)
}

// meshcanaryContender runs bin/meshcanary on Deployments that opt in by
// label and annotations.
type meshcanaryContender struct {
	bin, logLevel string
	args          []string // more flags, after --log-level
	replicas      int32
}

func (meshcanaryContender) name() string                                    { return "meshcanary" }
func (meshcanaryContender) watchesCanaries() bool                           { return false }
func (meshcanaryContender) install(context.Context, *cluster.Cluster) error { return nil }
func (meshcanaryContender) adopt(context.Context, *cluster.Cluster, []string) error {
	return nil // the label the Deployments were created with opts them in
}

func (m meshcanaryContender) deployment(name string) *appsv1.Deployment {
	return canaryDeployment(name, m.replicas, true)
}

func (m meshcanaryContender) start(c *cluster.Cluster, kubeconfig string) (*controllerProcess, error) {
	ctrl, err := c.StartMeshcanary(cluster.MeshcanaryOptions{Bin: m.bin, Kubeconfig: kubeconfig, Args: append([]string{"--log-level", m.logLevel}, m.args...)})
	if ctrl == nil {
		return nil, err
	}
	return watchController("meshcanary", ctrl.LogPath, ctrl.MetricsAddr, ctrl), err
}
