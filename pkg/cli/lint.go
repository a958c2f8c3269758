package cli

import (
	"fmt"
	"io"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/meshcanary/meshcanary/pkg/canary"
	"github.com/meshcanary/meshcanary/pkg/config"
)

// Lint writes every problem of each Deployment's meshcanary annotations
// (configuration, hooks, gates and strategy) to out, one per line with the
// key, the value and what would be valid, or "ok" for a Deployment without
// problems. A Deployment without the opt-in label is a problem too. It
// returns the number of problems.
func Lint(out io.Writer, deployments []*appsv1.Deployment) int {
	n := 0
	for _, d := range deployments {
		ref := "deployment " + d.Namespace + "/" + d.Name
		lines := problems(d)
		if len(lines) == 0 {
			fmt.Fprintf(out, "%s: ok\n", ref)
		}
		for _, line := range lines {
			fmt.Fprintf(out, "%s: %s\n", ref, line)
		}
		n += len(lines)
	}
	return n
}

// problems describes the problems of d's meshcanary annotations: a missing
// opt-in label first, then those canary.Parse finds.
func problems(d *appsv1.Deployment) []string {
	var lines []string
	if v := d.Labels[config.EnabledLabel]; v != config.EnabledValue {
		lines = append(lines, fmt.Sprintf("label %s=%q: %q, or the controller ignores the Deployment",
			config.EnabledLabel, v, config.EnabledValue))
	}
	_, ps := canary.Parse(d.Name, d.Annotations)
	for _, p := range ps {
		lines = append(lines, p.Error())
	}
	return lines
}
