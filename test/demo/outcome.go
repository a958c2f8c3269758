package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/canary"
	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/demo/scenario"
)

// outcome is what the demo observed of one release once it ended.
type outcome struct {
	release scenario.Release
	// status is the controller's status at the end of the release.
	status stepper.Status
	// imageBefore and imageAfter are the images the primary ran before the
	// release and after it ended.
	imageBefore, imageAfter string
}

// run releases r, watches it until it ends and observes its outcome.
func (a *app) run(ctx context.Context, r scenario.Release) (outcome, error) {
	o := outcome{release: r}
	var err error
	if o.imageBefore, err = a.primaryImage(ctx); err != nil {
		return o, err
	}
	before, err := a.release(ctx, r)
	if err != nil {
		return o, err
	}
	if o.status, err = a.watch(ctx, "end of the release", ended(before)); err != nil {
		return o, err
	}
	o.imageAfter, err = a.primaryImage(ctx)
	return o, err
}

// primaryImage reads the image the primary Deployment runs.
func (a *app) primaryImage(ctx context.Context) (string, error) {
	cfg, err := scenarioConfig()
	if err != nil {
		return "", err
	}
	d, err := a.kube.AppsV1().Deployments(namespace).Get(ctx, cfg.PrimaryName, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading the primary: %w", err)
	}
	return d.Spec.Template.Spec.Containers[0].Image, nil
}

// err says how the outcome differs from the one the release must reach:
// promoted with the primary on the new image, or rolled back with the
// primary on the image it ran before. It is nil when they agree.
func (o outcome) err() error {
	if err := o.release.Check(o.status); err != nil {
		return err
	}
	want := o.imageBefore
	if o.release.Promote {
		want = o.release.Image
	}
	if o.imageAfter != want {
		return fmt.Errorf("%s ended %s but the primary runs %s, not %s", o.release.Kind, o.status.Phase, o.imageAfter, want)
	}
	return nil
}

// report prints the outcome of every release and returns an error naming
// each one that did not end as it must.
func report(outcomes []outcome) error {
	say("outcome, as the status of %s/%s and its primary report it:", namespace, appName)
	var wrong []error
	for i, o := range outcomes {
		verdict := "as it must"
		if err := o.err(); err != nil {
			verdict, wrong = "WRONG", append(wrong, err)
		}
		say("  release %d, %s: %s; the primary runs %s — %s",
			i+1, o.release.Kind, scenario.Outcome(o.status), o.imageAfter, verdict)
	}
	if len(wrong) > 0 {
		return fmt.Errorf("%d of %d releases did not end as they must: %w", len(wrong), len(outcomes), errors.Join(wrong...))
	}
	say("the good version was promoted and the bad one rolled back")
	return nil
}

// scenarioConfig is the scenario's configuration as the controller parses
// it.
func scenarioConfig() (config.Config, error) {
	spec, problems := canary.Parse(appName, annotations())
	if len(problems) > 0 {
		return spec.Config, fmt.Errorf("the scenario's configuration: %w", problems)
	}
	return spec.Config, nil
}

// describeConfig lists the scenario's annotations, sorted.
func describeConfig() string {
	cfg := scenario.Config()
	var out []string
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		out = append(out, fmt.Sprintf("%s%s=%s", config.Prefix, k, cfg[k]))
	}
	return strings.Join(out, "  ")
}
