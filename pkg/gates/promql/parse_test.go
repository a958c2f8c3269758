package promql

import (
	"strings"
	"testing"
)

func TestParseTemplateAcceptsPromQL(t *testing.T) {
	for name, q := range map[string]string{
		"a bare metric name":                     `up`,
		"a number":                               `42`,
		"a selector with every matcher operator": `x{a="1", b!="2", c=~"3.*", d!~'4', e=` + "`5`" + `,}`,
		"a selector without metric name":         `{job="api"}`,
		"a quoted metric name (Prometheus 3)":    `{"my.metric", job="x"}`,
		"rate over a range":                      `rate(http_requests_total[5m])`,
		"a compound duration":                    `increase(x[1h30m])`,
		"a subquery with and without step":       `max_over_time(rate(x[1m])[10m:30s]) + max_over_time(rate(x[1m])[10m:])`,
		"offset and @":                           `x offset 5m + x @ 1609746000 + x @ start() + x offset -1m`,
		"an aggregation with by after":           `sum(rate(x[5m])) by (pod)`,
		"an aggregation with without before":     `sum without (instance) (x)`,
		"parameterised aggregations":             `topk(3, x) or quantile(0.9, x) or count_values("v", x)`,
		"histogram_quantile":                     `histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))`,
		"a ratio of sums":                        `sum(rate(errors[5m])) / sum(rate(requests[5m]))`,
		"vector matching":                        `a / on (pod) group_left (node) b * ignoring (x) c`,
		"comparison with bool":                   `x > bool 1`,
		"scalar comparison with bool":            `1 < bool 2`,
		"set operators":                          `a and b unless c or d`,
		"power is right associative":             `2 ^ 3 ^ 2`,
		"unary minus":                            `-x + -(1)`,
		"a comment":                              "x # the number of x\n> 1",
		"label_replace with strings":             `label_replace(x, "dst", "$1", "src", "(.*)")`,
		"functions without arguments":            `time() - pi()`,
		"optional arguments":                     `round(x) + round(x, 0.5) + hour()`,
		"variadic label_join":                    `label_join(x, "d", ",", "a", "b", "c")`,
		"scalar and vector":                      `vector(1) + scalar(x)`,
		"Inf and NaN":                            `x > Inf or x < -inf or x != NaN`,
		"hex and exponent numbers":               `x * 0x10 + 1e3 + 1.5e-3 + .5`,
		"a metric name with colons":              `job:requests:rate5m`,
		"nested parentheses":                     `((x))`,
		"a placeholder as a label value":         `x{namespace={{namespace}}, pod=~{{canary_pods}}}`,
		"a placeholder window":                   `rate(x{app={{canary}}}[{{window}}])`,
		"every placeholder":                      `max_over_time(x{a={{namespace}},b={{canary}},c={{primary}},d={{service}},e=~{{canary_pods}},f=~{{primary_pods}}}[{{window}}:])`,
		"a placeholder with spaces inside":       `x{a={{ canary }}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseTemplate(q); err != nil {
				t.Errorf("parseTemplate(%q): %v", q, err)
			}
		})
	}
}

func TestParseTemplateRejects(t *testing.T) {
	for name, c := range map[string]struct{ q, want string }{
		"an empty query":                           {``, "expected an expression"},
		"an unclosed parenthesis":                  {`sum(x`, `expected ")", found the end of the query`},
		"an unclosed selector":                     {`x{a="b"`, "expected"},
		"an unterminated string":                   {`x{a="b}`, "unterminated string"},
		"a newline in a string":                    {"x{a=\"b\n\"}", "newline in string"},
		"an unknown function":                      {`rates(x[5m])`, `unknown function "rates"`},
		"rate without a range":                     {`rate(x)`, "must be a range vector, not an instant vector"},
		"a range after an expression":              {`sum(x)[5m]`, "must follow a metric selector"},
		"a range without duration":                 {`x[5]`, "expected a duration"},
		"a range of a range":                       {`x[5m][5m]`, "must follow a metric selector"},
		"too many arguments":                       {`abs(x, 1)`, "takes 1 to 1 arguments, got 2"},
		"too few arguments":                        {`clamp(x, 1)`, "takes 3 to 3 arguments, got 2"},
		"a string where a scalar belongs":          {`histogram_quantile("0.9", x)`, "argument 1 of histogram_quantile must be a scalar"},
		"a matcher value without quotes":           {`x{a=b}`, "must be a quoted string"},
		"a bad matcher operator":                   {`x{a=="b"}`, "expected =, !=, =~ or !~"},
		"an invalid regular expression":            {`x{a=~"(("}`, "invalid regular expression"},
		"an empty selector":                        {`{}`, "needs a metric name or at least one matcher"},
		"scalars compared without bool":            {`1 > 2`, "must use the bool modifier"},
		"a set operator on scalars":                {`1 and x`, "only defined between instant vectors"},
		"vector matching with a scalar":            {`x / on (a) 2`, "only allowed between instant vectors"},
		"a string operand":                         {`"a" + x`, "must be scalars or instant vectors"},
		"a range vector result":                    {`x[5m]`, "returns a range vector"},
		"an aggregation of a scalar":               {`sum(1)`, "aggregates an instant vector, not a scalar"},
		"topk without its parameter":               {`topk(x)`, "topk needs a scalar parameter, not an instant vector"},
		"a trailing operator":                      {`x +`, "expected an expression"},
		"trailing garbage":                         {`x y`, `unexpected "y"`},
		"an unexpected character":                  {`x ; drop`, "unexpected character ';'"},
		"an unknown placeholder":                   {`x{a={{deployment}}}`, "unknown placeholder {{deployment}}"},
		"a placeholder inside quotes":              {`x{a="{{canary}}"}`, "placeholders stand for whole literals"},
		"an unclosed placeholder":                  {`x{a={{canary}`, "unclosed placeholder"},
		"a string placeholder as a range":          {`rate(x[{{canary}}])`, "expected a duration"},
		"the window placeholder as a label value":  {`x{a={{window}}}`, "must be a quoted string"},
		"a placeholder as a metric name":           {`{{canary}}`, "returns a string"},
		"@ without a time":                         {`x @ foo`, "@ needs a timestamp"},
		"by with something other than label names": {`sum by (1) (x)`, "expected a label name"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseTemplate(c.q)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("parseTemplate(%q) = %v, want an error containing %q", c.q, err, c.want)
			}
		})
	}
}
