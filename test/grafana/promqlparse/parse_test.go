package promqlparse

import (
	"testing"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/meshcanary/meshcanary/test/grafana"
)

// promql parses with Prometheus' default options: no experimental functions.
var promql = parser.NewParser(parser.Options{})

func TestEveryDashboardExpressionParses(t *testing.T) {
	queries, err := grafana.Load()
	if err != nil || len(queries) == 0 {
		t.Fatalf("%d queries, error %v", len(queries), err)
	}
	for _, q := range queries {
		expr := grafana.Expand(q.Expr, grafana.AllValues)
		if _, err := promql.ParseExpr(expr); err != nil {
			t.Errorf("%s %s does not parse: %v\n%s", q.Panel, q.RefID, err, expr)
		}
	}
}

func TestABrokenExpressionDoesNotParse(t *testing.T) {
	broken := map[string]string{
		"an unclosed call":            `sum(rate(meshcanary_releases_total[$__rate_interval])`,
		"a regex variable in a range": `rate(meshcanary_releases_total[$namespace])`,
		"an unclosed grouping":        `sum by (le (rate(x[1m]))`,
	}
	for name, expr := range broken {
		t.Run(name, func(t *testing.T) {
			if _, err := promql.ParseExpr(grafana.Expand(expr, grafana.AllValues)); err == nil {
				t.Errorf("%s parsed", expr)
			}
		})
	}
}
