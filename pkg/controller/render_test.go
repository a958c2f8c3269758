package controller

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/meshcanary/meshcanary/pkg/cli"
)

// schedule is what a release runs: the weight of each step in percent and
// how long it mirrors first.
type schedule struct {
	Weights []float64
	Mirror  time.Duration
}

func TestRenderShowsTheScheduleTheControllerRuns(t *testing.T) {
	annotations := map[string]string{
		"meshcanary.io/steps":                    "10,50",
		"meshcanary.io/strategy.header.x-canary": "exact:insider",
		"meshcanary.io/strategy.schedule":        "match-only",
		"meshcanary.io/strategy.mirror":          "20",
		"meshcanary.io/strategy.mirror-duration": "90s",
	}
	f := newFixture(t, []runtime.Object{webService(), webDeployment(annotations)})
	snap, problems, err := f.c.gather(context.Background(), f.cs, f.deployment("web"))
	if err != nil || len(problems) > 0 {
		t.Fatalf("gather: %v, problems %v", err, problems)
	}
	runs := schedule{Mirror: snap.cfg.MirrorDuration}
	for _, w := range snap.cfg.Steps {
		runs.Weights = append(runs.Weights, 100*float64(w)/float64(snap.cfg.Total))
	}

	var out strings.Builder
	m := cli.Manifests{Deployments: []*appsv1.Deployment{webDeployment(annotations)}, Services: []*corev1.Service{webService()}}
	if err := cli.Render(&out, m, "abc123"); err != nil {
		t.Fatalf("render: %v", err)
	}
	if d := cmp.Diff(runs, renderedSchedule(t, out.String())); d != "" {
		t.Errorf("render shows another schedule than the controller runs (-controller +render):\n%s", d)
	}
}

// stepHead matches the comment render heads each document of a step with.
var stepHead = regexp.MustCompile(`(?m)^# step (\d+)/\d+: weight ([\d.]+)%(?:, mirroring \S+ to the canary for (\S+))?$`)

// renderedSchedule reads the schedule from render's output.
func renderedSchedule(t *testing.T, out string) schedule {
	t.Helper()
	var s schedule
	for _, m := range stepHead.FindAllStringSubmatch(out, -1) {
		step, _ := strconv.Atoi(m[1])
		weight, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("weight in %q: %v", m[0], err)
		}
		if m[3] != "" {
			if s.Mirror, err = time.ParseDuration(m[3]); err != nil {
				t.Fatalf("mirror duration in %q: %v", m[0], err)
			}
		}
		if step > len(s.Weights) {
			s.Weights = append(s.Weights, weight)
		}
	}
	return s
}
