package promql

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConditionSplitsQueryOpAndThreshold(t *testing.T) {
	for name, c := range map[string]struct {
		src, query string
		op         Op
		threshold  float64
	}{
		"a simple comparison":                     {`sum(x) < 5`, `sum(x)`, Less, 5},
		"a negative threshold":                    {`sum(x) >= -0.5`, `sum(x)`, GreaterEqual, -0.5},
		"a comparison inside the query is kept":   {`count(x > 1) == 0`, `count(x > 1)`, Equal, 0},
		"the last top-level comparison separates": {`sum(x) > bool 1 != 1`, `sum(x) > bool 1`, NotEqual, 1},
		"placeholders in the query":               {`sum(rate(e{app={{canary}}}[{{window}}])) <= 0.01`, `sum(rate(e{app={{canary}}}[{{window}}]))`, LessEqual, 0.01},
		"an exponent threshold":                   {`x > 1e3`, `x`, Greater, 1000},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseCondition(c.src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]any{c.query, c.op, c.threshold}, []any{got.Query.String(), got.Op, got.Threshold}); diff != "" {
				t.Errorf("ParseCondition(%q) (-want +got):\n%s", c.src, diff)
			}
		})
	}
}

func TestParseConditionRejects(t *testing.T) {
	for name, c := range map[string]struct{ src, want string }{
		"no comparison":                     {`sum(x)`, `expected "<query> <op> <number>"`},
		"no threshold":                      {`sum(x) <`, `expected "<query> <op> <number>"`},
		"a query as threshold":              {`sum(x) < sum(y)`, `expected "<query> <op> <number>"`},
		"a comparison inside brackets only": {`sum(x < 5)`, `expected "<query> <op> <number>"`},
		"a query that does not parse":       {`sum(x <`, `expected "<query> <op> <number>"`},
		"a broken query before the op":      {`rate(x) > 1`, "must be a range vector"},
		"only a threshold":                  {`< 5`, "expected an expression"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCondition(c.src)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ParseCondition(%q) = %v, want an error containing %q", c.src, err, c.want)
			}
		})
	}
}

func TestOpHolds(t *testing.T) {
	for op, want := range map[Op][3]bool{ // value 1 against 0, 1, 2
		Less: {false, false, true}, LessEqual: {false, true, true},
		Greater: {true, false, false}, GreaterEqual: {true, true, false},
		Equal: {false, true, false}, NotEqual: {true, false, true},
	} {
		for i, threshold := range []float64{0, 1, 2} {
			if got := op.Holds(1, threshold); got != want[i] {
				t.Errorf("1 %s %v = %v, want %v", op, threshold, got, want[i])
			}
		}
	}
}
