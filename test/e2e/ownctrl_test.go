//go:build e2e

package e2e

import (
	"testing"

	"github.com/meshcanary/meshcanary/test/cluster"
)

// startBehindProxy starts a controller of the test's own, meshcanary-<name>,
// reached only through a counting proxy of its own (its kubeconfig written
// as <name>.kubeconfig in the run directory), watching namespace ns only,
// querying the shared Prometheus, logging at debug level and with further
// flags args, until the end of the test.
func startBehindProxy(t *testing.T, name, ns string, args ...string) (*cluster.Meshcanary, *cluster.Proxy) {
	t.Helper()
	proxy, err := cluster.StartProxy(env.cluster.AdminConfig())
	must(t, "starting the counting proxy", err)
	t.Cleanup(proxy.Close)
	kubeconfig, err := proxy.WriteKubeconfig(env.cluster.RunDir, name)
	must(t, "writing the proxy's kubeconfig", err)
	ctrl, err := env.cluster.StartMeshcanary(cluster.MeshcanaryOptions{
		Name:       "meshcanary-" + name,
		Kubeconfig: kubeconfig,
		Args: append([]string{
			"--namespaces", ns,
			"--prometheus-url", env.prometheus.URL(),
			"--log-level", "debug",
		}, args...),
	})
	must(t, "starting meshcanary-"+name+" behind its proxy", err)
	t.Cleanup(ctrl.Stop)
	return ctrl, proxy
}
