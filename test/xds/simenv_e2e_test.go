//go:build e2e

package xds

import (
	"testing"
	"time"

	istioclient "istio.io/client-go/pkg/clientset/versioned"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// simEnv is the environment of the scenarios in xDS mode: a cluster with
// istiod and Prometheus, the controller, and a mesh simulator that routes by
// what istiod pushes to one sidecar (x, the caller pod's).
type simEnv struct {
	c     *cluster.Cluster
	kube  kubernetes.Interface
	istio istioclient.Interface
	x     *Client
	sim   *meshsim.Sim
	ctrl  *cluster.Meshcanary
}

// callerNamespace holds the pod whose sidecar the simulator's requests go
// through.
const callerNamespace = "meshsim"

// startSimEnv starts the environment; everything stops at the end of t.
func startSimEnv(t *testing.T) *simEnv {
	t.Helper()
	c := cluster.StartForTest(t, cluster.Options{
		Name: "xds-scenarios", Nodes: 2, Istiod: true,
		Prometheus: &cluster.PrometheusOptions{ScrapeInterval: 2 * time.Second},
	})
	e := &simEnv{c: c, kube: kubernetes.NewForConfigOrDie(c.AdminConfig()), istio: istioclient.NewForConfigOrDie(c.AdminConfig())}
	caller := &mesh{c: c, client: e.kube, dyn: dynamic.NewForConfigOrDie(c.AdminConfig()), ns: callerNamespace}
	cluster.CreateNamespace(t, e.kube, callerNamespace)
	pod := caller.waitReady(t, caller.createPod(t, "caller", map[string]string{"app": "caller"}))
	caller.proxy = Proxy{Pod: pod.Name, Namespace: pod.Namespace, IP: pod.Status.PodIP, Labels: pod.Labels}
	e.x = caller.dial(t)

	sim, err := meshsim.New(c.AdminConfig(), meshsim.Options{Routes: NewTable(e.x)})
	if err != nil {
		t.Fatalf("mesh simulator in xDS mode: %v", err)
	}
	if err := sim.Start(t.Context()); err != nil {
		t.Fatalf("starting the mesh simulator: %v", err)
	}
	t.Cleanup(sim.Close)
	e.sim = sim
	if err := c.Scrape("meshsim", sim.Addr()); err != nil {
		t.Fatal(err)
	}
	ctrl, err := c.StartMeshcanary(cluster.MeshcanaryOptions{Args: []string{"--prometheus-url", c.PrometheusURL}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ctrl.Stop)
	e.ctrl = ctrl
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("controller log: %s; cluster logs: %s", ctrl.LogPath, c.RunDir)
		}
	})
	return e
}

// waitTimeout bounds every wait of the scenarios; generous on purpose, no
// test asserts how long anything takes.
const waitTimeout = 4 * time.Minute
