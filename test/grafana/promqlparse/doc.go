// Package promqlparse checks with Prometheus' own parser that every PromQL
// expression of meshcanary's Grafana dashboard parses. It is a module of its
// own so that github.com/prometheus/prometheus, a large dependency, stays
// out of the product's go.mod; run it with
//
//	go -C test/grafana/promqlparse test ./...
package promqlparse
