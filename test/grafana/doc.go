// Package grafana reads the PromQL expressions of meshcanary's Grafana
// dashboard (deploy/helm/meshcanary/dashboards/meshcanary.json), so that
// tests can check them: that they parse (the promqlparse module next to
// this package, which keeps Prometheus' parser out of the product's
// go.mod), that they name only metrics the controller exports, and, in the
// end-to-end suite, that they return data from a real Prometheus during a
// release.
package grafana
