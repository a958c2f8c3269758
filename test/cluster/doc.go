// Package cluster starts a real, local Kubernetes control plane for meshcanary's
// end-to-end suite and demo: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok (fake nodes whose pods become Running and Ready without
// containers), Istio's CRDs with Istio's own validating webhook registered, and
// optionally a Prometheus server scraping loopback targets and istiod
// (pilot-discovery) run out of cluster ([Options].Istiod): admin kubeconfig,
// plaintext xDS at [Cluster].IstiodXDSAddress, /ready and the webhooks on one
// HTTP port, the secure xDS port off, its self-signed CA in istio-system, log
// istiod.log and MeshConfig istiod/mesh.yaml in the run folder. test/xds
// connects sidecars to it.
//
// Every process listens on 127.0.0.1 on a free port, runs in its own process group
// and logs to a file under <repo>/.e2e/<run>/ (the 10 newest run folders are
// kept, and those of test binaries still running); [Cluster.Stop] (or cancelling the
// context given to [Start]) stops them all. Tests use [StartForTest], which stops
// the cluster in t.Cleanup and prints the logs' tails when the test failed.
//
// The helpers every suite shares live here too, so that each has one home:
// [StartProcess] runs any program as a [Process] (own process group,
// killed with the test binary, log in the run folder); [Cluster.StartMeshcanary]
// runs the controller on it (options for the kubeconfig, the log's name,
// extra flags, the binary; its Pid for kill tests); [Poll] and [Eventually]
// are the polling loops; [CreateNamespace], [RepoRoot], [FreePort] and
// [FreeAddr] the small ones.
//
// [Proxy] is a counting proxy in front of the apiserver for one client (the
// controller): it counts its requests by verb and resource, for the scale
// benchmark, and can cut the client off right after its k-th write, for
// the e2e test that kills the controller after every write.
//
// The binaries come from bin/, built by hack/build-tools.sh (`make tools`).
package cluster
