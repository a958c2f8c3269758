//go:build e2e

// Package e2e is meshcanary's end-to-end suite: the controller binary
// (bin/meshcanary) runs as a subprocess against a real local control plane
// (package test/cluster: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kwok, Istio's CRDs and validating webhook), a real
// Prometheus and the mesh simulator (package test/meshsim), and every
// scenario of a canary's life is checked from the outside: the status
// annotation, the VirtualService and DestinationRule as written, the
// workloads, and the traffic the simulator routed.
//
// One environment serves every test (see TestMain); each test has its own
// namespace, Service, Deployment and traffic stream. Tests that disturb the
// shared controller or Prometheus run alone, before the others, which run
// in parallel. Run it with `make test-e2e`, which builds the control plane's
// binaries and bin/meshcanary first:
//
//	go test -count=1 -tags e2e -timeout 40m ./test/e2e
package e2e
