package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
)

// none is what a table cell shows when there is nothing to show, as in
// kubectl.
const none = "<none>"

// table prints canaries as kubectl prints resources: aligned columns, a
// header once, and ages relative to now.
type table struct {
	w             *tabwriter.Writer
	allNamespaces bool
	now           func() time.Time
}

// newTable returns a table writing to out; its columns are those of
// kubectl's tab writer (padding 3).
func newTable(out io.Writer, allNamespaces bool, now func() time.Time) *table {
	return &table{w: tabwriter.NewWriter(out, 6, 4, 3, ' ', 0), allNamespaces: allNamespaces, now: now}
}

// header writes the column names.
func (t *table) header() {
	cols := []string{"NAME", "PHASE", "STEP", "WEIGHT", "VERDICTS", "AGE"}
	if t.allNamespaces {
		cols = append([]string{"NAMESPACE"}, cols...)
	}
	fmt.Fprintln(t.w, strings.Join(cols, "\t"))
}

// row writes one canary.
func (t *table) row(c Canary) {
	cells := rowCells(c, t.now())
	if !t.allNamespaces {
		cells = cells[1:]
	}
	fmt.Fprintln(t.w, strings.Join(cells, "\t"))
}

// flush writes the buffered rows out.
func (t *table) flush() error {
	if err := t.w.Flush(); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	return nil
}

// rowCells is the table row of c at time now: namespace, name, phase, step n/N,
// canary weight (exact, see config.FormatWeight), last verdicts and the
// Deployment's age.
func rowCells(c Canary, now time.Time) []string {
	phase, step, weight, verdicts := none, "-", "-", none
	switch s := c.Status; {
	case c.StatusError != "":
		phase = "<invalid status>"
	case s != nil:
		phase = string(s.Phase)
		if s.ConfigError != "" {
			phase += ",InvalidConfig"
		}
		if s.Steps > 0 {
			step = fmt.Sprintf("%d/%d", s.Step, s.Steps)
		}
		if s.Total > 0 {
			weight = config.FormatWeight(s.Weight, s.Total)
		}
		verdicts = summarize(s.Verdicts)
	}
	age := "<unknown>"
	if !c.Created.IsZero() {
		age = duration.HumanDuration(now.Sub(c.Created))
	}
	return []string{c.Namespace, c.Name, phase, step, weight, verdicts, age}
}

// summarize is the VERDICTS cell: the combined result, how many gates
// passed out of how many, and the first gate that did not pass (a failing
// one before a holding one), such as "Fail 1/2 error-rate max=1%".
func summarize(vs []gates.Verdict) string {
	if len(vs) == 0 {
		return none
	}
	result := gates.Combine(vs)
	passed := 0
	for _, v := range vs {
		if v.Result == gates.Pass {
			passed++
		}
	}
	cell := fmt.Sprintf("%s %d/%d", result, passed, len(vs))
	for _, v := range vs {
		if v.Result == result && result != gates.Pass {
			return cell + " " + v.Gate
		}
	}
	return cell
}
