package grafana

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
)

// Query is one PromQL expression of the dashboard.
type Query struct {
	// Panel is the panel's title, or "variable <name>" for the selector of a
	// template variable's label_values query.
	Panel string
	// RefID is the target's refId ("" for a variable).
	RefID string
	// Expr is the expression with Grafana's variables left in.
	Expr string
	// Instant is true for a target evaluated at one instant only.
	Instant bool
}

// Path is the dashboard file in the repository.
func Path() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "deploy", "helm", "meshcanary", "dashboards", "meshcanary.json")
}

// Load reads the dashboard file and returns its queries.
func Load() ([]Query, error) {
	data, err := os.ReadFile(Path())
	if err != nil {
		return nil, fmt.Errorf("reading the dashboard: %w", err)
	}
	return Queries(data)
}

// dashboard is the part of Grafana's dashboard JSON that holds queries.
type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title   string  `json:"title"`
	Type    string  `json:"type"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		RefID   string `json:"refId"`
		Expr    string `json:"expr"`
		Instant bool   `json:"instant"`
	} `json:"targets"`
}

// labelValues matches Grafana's label_values(selector, label) variable query.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$`)

// Queries returns every PromQL expression of a dashboard in order: the
// targets of its panels (rows' nested panels included) and the selectors of
// its label_values variables.
func Queries(dashboardJSON []byte) ([]Query, error) {
	var d dashboard
	if err := json.Unmarshal(dashboardJSON, &d); err != nil {
		return nil, fmt.Errorf("decoding the dashboard: %w", err)
	}
	var qs []Query
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				qs = append(qs, Query{Panel: p.Title, RefID: t.RefID, Expr: t.Expr, Instant: t.Instant})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			return nil, fmt.Errorf("variable %s: %w", v.Name, err)
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			return nil, fmt.Errorf("variable %s: query %q is not label_values(selector, label)", v.Name, q.Query)
		}
		qs = append(qs, Query{Panel: "variable " + v.Name, Expr: m[1]})
	}
	return qs, nil
}

// AllValues are the values of the dashboard's variables when everything is
// selected, and of Grafana's interval variables for a 1h time range.
var AllValues = map[string]string{
	"namespace":       ".+",
	"deployment":      ".+",
	"__rate_interval": "1m",
	"__interval":      "15s",
	"__range":         "1h",
}

// Expand replaces Grafana's variable references ($name, ${name} and
// [[name]]) in expr with values; unknown variables are left as they are.
func Expand(expr string, values map[string]string) string {
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	// Longest first, so that $__range_s is not read as $__range + "_s".
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	for _, name := range names {
		v := values[name]
		expr = strings.NewReplacer("${"+name+"}", v, "[["+name+"]]", v, "$"+name, v).Replace(expr)
	}
	return expr
}

// unexpanded matches a variable reference Expand left in.
var unexpanded = regexp.MustCompile(`\$\{?[a-zA-Z_]\w*\}?|\[\[\w+\]\]`)

// Unexpanded returns the variable references left in expr.
func Unexpanded(expr string) []string {
	return unexpanded.FindAllString(expr, -1)
}
