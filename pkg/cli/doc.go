// Package cli holds the logic of meshcanary's operator commands, kept apart
// from the cobra wiring in cmd/meshcanary so that it is testable with fake
// clientsets and golden files:
//
//   - [Status] lists or follows the opted-in Deployments and prints their
//     release status (decoded from the meshcanary.io/status annotation) as a
//     kubectl-style table, JSON or YAML.
//   - [SendCommand] writes the meshcanary.io/command annotation and waits
//     until the controller acknowledges it in the status.
//   - [Render] prints, with no cluster, the DestinationRule and
//     VirtualService that package istio computes at each step.
//   - [Lint] prints every problem of a Deployment's annotations.
//
// [Manifests.Read] reads the YAML files render and lint take.
package cli
