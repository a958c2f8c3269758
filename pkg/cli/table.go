package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// none is what a table cell shows when there is nothing to show, as in
// kubectl.
const none = "<none>"

// table prints canaries as kubectl prints resources: columns padded by 3
// spaces, a header once, ages relative to now. Column widths only grow, so
// the rows printed while following line up with the first listing.
type table struct {
	out           io.Writer
	allNamespaces bool
	now           func() time.Time
	widths        []int
}

func newTable(out io.Writer, allNamespaces bool, now func() time.Time) *table {
	return &table{out: out, allNamespaces: allNamespaces, now: now}
}

// print writes the canaries, after the header when header is set.
func (t *table) print(header bool, cs ...Canary) error {
	var rows [][]string
	if header {
		rows = append(rows, t.cells([]string{"NAMESPACE", "NAME", "PHASE", "STEP", "WEIGHT", "ROUTES", "VERDICTS", "AGE"}))
	}
	for _, c := range cs {
		rows = append(rows, t.cells(rowCells(c, t.now())))
	}
	for _, row := range rows {
		for i, cell := range row {
			if i == len(t.widths) {
				t.widths = append(t.widths, 0)
			}
			t.widths[i] = max(t.widths[i], len(cell))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, cell := range row[:len(row)-1] {
			fmt.Fprintf(&b, "%-*s", t.widths[i]+3, cell)
		}
		b.WriteString(row[len(row)-1] + "\n")
	}
	if _, err := io.WriteString(t.out, b.String()); err != nil {
		return fmt.Errorf("writing table: %w", err)
	}
	return nil
}

// cells drops the namespace column unless all namespaces are shown.
func (t *table) cells(row []string) []string {
	if t.allNamespaces {
		return row
	}
	return row[1:]
}

// rowCells is the table row of c at time now: namespace, name, phase (with
// what holds the release and the hooks that did not succeed), step n/N,
// canary weight (exact, see config.FormatWeight), the VirtualServices that
// carry it (routesCell), last verdicts and the Deployment's age.
func rowCells(c Canary, now time.Time) []string {
	phase, step, weight, routes, verdicts := none, "-", "-", none, none
	switch s := c.Status; {
	case c.StatusError != "":
		phase = "<invalid status>"
	case s == nil && c.ConfigError != "":
		phase = "<invalid config>"
	case s != nil:
		phase = string(s.Phase)
		if s.ConfigError != "" {
			phase += "," + stepper.ReasonInvalidConfig
		}
		if s.AwaitingApproval != nil {
			phase += ",AwaitingApproval"
		}
		phase += hookSuffix(*s)
		if s.Steps > 0 {
			step = fmt.Sprintf("%d/%d", s.Step, s.Steps)
		}
		if s.Total > 0 {
			weight = config.FormatWeight(s.Weight, s.Total)
		}
		verdicts = summarize(s.Verdicts)
		routes = routesCell(*s)
	}
	age := "<unknown>"
	if !c.Created.IsZero() {
		age = duration.HumanDuration(now.Sub(c.Created))
	}
	return []string{c.Namespace, c.Name, phase, step, weight, routes, verdicts, age}
}

// hookSuffix tells, after the phase, of every release hook that did not
// succeed (yet): ",pre-release:Pending", ",post-promotion:Failed".
func hookSuffix(s stepper.Status) string {
	var b strings.Builder
	for _, h := range s.Hooks {
		if h.Result != stepper.HookSucceeded {
			fmt.Fprintf(&b, ",%s:%s", h.Hook, h.Result)
		}
	}
	return b.String()
}

// routesCell is the ROUTES cell: "home" when the release splits its home
// VirtualService alone, else every split VirtualService with its weight
// ("shop/web 5%, istio-system/public-web 5%"); "+N unsplit" counts the
// VirtualServices that route to the service without the weights (the
// status's unsplit says why).
func routesCell(s stepper.Status) string {
	cell := "home"
	if len(s.VirtualServices) > 0 {
		parts := make([]string, len(s.VirtualServices))
		for i, vs := range s.VirtualServices {
			parts[i] = vs.Ref + " " + config.FormatWeight(vs.Weight, s.Total)
		}
		cell = strings.Join(parts, ", ")
	}
	if n := len(s.Unsplit); n > 0 {
		cell += fmt.Sprintf(" +%d unsplit", n)
	}
	return cell
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
