// Package helm holds the end-to-end proofs of the Helm chart in
// deploy/helm/meshcanary (build tag e2e, run by `make test-e2e`): helm lint,
// helm template with several value sets, the schema rejecting wrong types,
// the rendered manifests accepted by a real kube-apiserver in a server-side
// dry run, the chart's ServiceAccount unable to read Secrets, and the
// controller running as that ServiceAccount with the chart's RBAC.
package helm
