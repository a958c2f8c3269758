//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"time"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// routingFlags are the Envoy response flags of a request the mesh answered
// itself because routing failed: no Ready pod in the subset (UH), no route
// (NR), or a route naming a subset or service Envoy has no cluster for (NC).
var routingFlags = []string{"UH", "NR", "NC"}

// checkNoRoutingErrors fails the test if any request to the app was answered
// by the mesh for lack of a route, a cluster or a Ready pod; and if no
// request was sent at all (then the check would prove nothing).
func (a *app) checkNoRoutingErrors() {
	a.t.Helper()
	c := env.sim.Counts(a.ns, appName)
	if c.Requests == 0 {
		a.t.Errorf("no request reached %s/%s: the traffic check proves nothing", a.ns, appName)
		return
	}
	for _, flag := range routingFlags {
		if n := c.Flags[flag]; n > 0 {
			a.t.Errorf("%d of %d requests to %s/%s were answered by the mesh with flag %s (codes %v, flags %v)",
				n, c.Requests, a.ns, appName, flag, c.Codes, c.Flags)
		}
	}
	a.t.Logf("traffic to %s/%s: %d requests, by workload %v, by code %v, by flags %v",
		a.ns, appName, c.Requests, c.Workloads, c.Codes, c.Flags)
}

// diagnose prints what a failed test needs to be understood: the status
// history, the route history, the controller's log lines for the namespace
// and, once per run, the cluster's logs.
func (a *app) diagnose() {
	a.t.Logf("status history of %s/%s:\n%s", a.ns, appName, formatStatuses(a.rec.statusHistory()))
	a.t.Logf("VirtualService history:\n%s", a.formatVirtualServices())
	for _, c := range a.controllers() {
		a.t.Logf("controller log %s for %s (last 80 lines):\n%s", c.LogPath, a.ns, c.LogLines(80, a.ns))
	}
	env.dumpClusterLogs(a.t)
}

// formatStatuses writes one line per status: the time since the first, the
// phase, step, weight, failed checks, reason and message, and the verdicts.
func formatStatuses(history []statusVersion) string {
	if len(history) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	start := history[0].At
	for _, v := range history {
		fmt.Fprintf(&b, "  +%5.1fs %s\n", v.At.Sub(start).Seconds(), describeStatus(v.Status))
	}
	return b.String()
}

// describeStatus writes the fields of a status a reader needs first.
func describeStatus(s stepper.Status) string {
	line := fmt.Sprintf("%s step %d/%d weight %d/%d failed %d rev %s: %s: %s",
		s.Phase, s.Step, s.Steps, s.Weight, s.Total, s.FailedChecks, s.Revision, s.Reason, s.Message)
	if s.StepStart != nil {
		line += " (step start " + s.StepStart.Format(time.TimeOnly) + ")"
	}
	for _, v := range s.Verdicts {
		line += fmt.Sprintf("\n           verdict %s %s: %s", v.Gate, v.Result, v.Reason)
	}
	if s.ConfigError != "" {
		line += "\n           configError: " + s.ConfigError
	}
	return line
}

// formatVirtualServices writes one line per recorded VirtualService version:
// when it was seen, its resourceVersion, the last writer and its http[0] route.
func (a *app) formatVirtualServices() string {
	var b strings.Builder
	for _, name := range []string{appName, userRoutesName} {
		for _, v := range a.rec.vsHistory(name) {
			if v.VS == nil {
				fmt.Fprintf(&b, "  %s %s deleted\n", v.At.Format(time.TimeOnly+".000"), name)
				continue
			}
			writer := ""
			if mf := v.VS.ManagedFields; len(mf) > 0 {
				last := mf[len(mf)-1]
				writer = last.Manager + " " + string(last.Operation)
			}
			route := ""
			if http := v.VS.Spec.Http; len(http) > 0 {
				route = describeRoute(http[0].Route)
			}
			fmt.Fprintf(&b, "  %s %s rv %s by %s: http[0] %s\n", v.At.Format(time.TimeOnly+".000"), name, v.VS.ResourceVersion, writer, route)
		}
	}
	return b.String()
}
