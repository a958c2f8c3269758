//go:build scale

package scale

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/meshcanary/meshcanary/test/cluster"
)

// promotion is how a floor release promotes the canary's revision.
type promotion string

const (
	// rollOut is meshcanary's promotion today: the primary takes the new
	// template, a second set of pods, and the canary copy is scaled back to 0.
	rollOut promotion = "rollout"
	// swapRoles is the role-swap prototype (docs/design.md): the canary
	// slot's pods, at full size, become the primary's (a route write, no
	// cluster work) and the old primary's slot is scaled to 0.
	swapRoles promotion = "swap"
)

// floorRun is what the cluster floor recorded: the cluster work of a
// release done by a script, with no canary controller, on a fresh cluster.
type floorRun struct {
	runDir   string
	patched  map[string]time.Time // the canary's patch (new image, scaled up)
	promoted map[string]time.Time // rollOut: the primary's rollout of the new image complete; swapRoles: the schedule over
	scaled   map[string]time.Time // the Deployment that leaves (rollOut: the copy; swapRoles: the old primary) back at 0
	pods     int                  // Pods created during the release
}

// measureFloor does, for n canaries on a fresh cluster, the cluster work a
// release promoted by p asks for, on the controllers' schedule, with
// nothing else running (floorRelease says what, per canary).
func measureFloor(b *testing.B, n int, logRoot string, p promotion) floorRun {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Options{
		Name: fmt.Sprintf("floor-%s-%d", p, n), Nodes: nodesFor(n), StartTimeout: 3 * time.Minute, LogRoot: logRoot,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	b.Logf("floor (%s): local cluster ready in %s, logs in %s", p, c.StartDuration.Round(time.Millisecond), c.RunDir)
	cfg := c.AdminConfig()
	cfg.QPS, cfg.Burst = 500, 1000
	kube, err := kubeClient(cfg)
	must(b, err)
	obs, err := startObserver(ctx, cfg, false)
	must(b, err)
	names := canaryNames(n)
	primaries := make([]string, n)
	for i, name := range names {
		primaries[i] = name + "-primary"
	}
	must(b, createCanaries(ctx, kube, names, floorDeployments(p)))
	waitFor(b, "every primary available", 5*time.Minute+time.Duration(n)*time.Second,
		func() (int, error) { return obs.countAvailable(primaries), nil }, n)
	time.Sleep(5 * time.Second)

	f := floorRun{runDir: c.RunDir, patched: map[string]time.Time{}, promoted: map[string]time.Time{}, scaled: map[string]time.Time{}}
	t0 := time.Now()
	type outcome struct {
		name  string
		times floorTimes
		err   error
	}
	done := make(chan outcome)
	for _, name := range names {
		go func() {
			times, err := floorRelease(ctx, kube, obs, name, p)
			done <- outcome{name, times, err}
		}()
	}
	var errs []error
	for range names {
		o := <-done
		f.patched[o.name], f.promoted[o.name], f.scaled[o.name] = o.times.patched, o.times.promoted, o.times.scaled
		errs = append(errs, o.err)
	}
	must(b, errors.Join(errs...))
	f.pods = obs.podsCreatedBetween(t0, time.Now())
	return f
}

// floorTimes are when one canary's floor release was patched, promoted and
// its leaving Deployment back at 0 replicas.
type floorTimes struct {
	patched, promoted, scaled time.Time
}

// floorRelease does one canary's cluster work, all its waits included.
// rollOut: the canary copy <name> (0 replicas) takes the new image and the
// primary's replicas; once available it is left for the schedule's
// stepCount × stepInterval; then the primary (<name>-primary) takes the new
// image; once rolled out, the copy is scaled back to 0. swapRoles: the
// user's Deployment <name> (always at 0) takes the new image, the idle
// slot <name>-canary the new image and the primary's replicas; once
// available it is left for the schedule; the roles then swap (a route
// write, nothing for the cluster to do) and the old primary's slot
// <name>-primary is scaled to 0.
func floorRelease(ctx context.Context, kube kubernetes.Interface, obs *observer, name string, p promotion) (floorTimes, error) {
	deployments := kube.AppsV1().Deployments(namespace)
	image := fmt.Appendf(nil, `{"spec":{"template":{"spec":{"containers":[{"name":%q,"image":%q}]}}}}`, container, imageV2)
	scaleUp := fmt.Appendf(nil, `{"spec":{"replicas":%d,"template":{"spec":{"containers":[{"name":%q,"image":%q}]}}}}`,
		*replicas, container, imageV2)
	patch := func(deployment string, patch []byte) (int64, error) {
		d, err := deployments.Patch(ctx, deployment, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		if err != nil {
			return 0, fmt.Errorf("patching %s: %w", deployment, err)
		}
		return d.Generation, nil
	}
	step := func(deployment string, p []byte) error {
		generation, err := patch(deployment, p)
		if err != nil {
			return err
		}
		return obs.waitRolledOut(ctx, deployment, generation)
	}
	canary, leaving := name, name
	t := floorTimes{patched: time.Now()}
	if p == swapRoles {
		canary, leaving = name+"-canary", name+"-primary"
		if _, err := patch(name, image); err != nil {
			return t, err
		}
	}
	if err := step(canary, scaleUp); err != nil {
		return t, err
	}
	time.Sleep(stepCount * stepInterval)
	if p == rollOut {
		if err := step(name+"-primary", image); err != nil {
			return t, err
		}
	}
	t.promoted = time.Now()
	err := step(leaving, []byte(`{"spec":{"replicas":0}}`))
	t.scaled = time.Now()
	return t, err
}

// floorDeployments returns, for a floor promoted by p, the Deployments of
// the canary name, all on the old image with selectors apart: rollOut: the
// canary copy <name> (0 replicas) and the primary; swapRoles: the user's
// Deployment <name> (0 replicas: in the role-swap design it only holds
// the template), the primary's slot <name>-primary and the idle slot
// <name>-canary (0 replicas).
func floorDeployments(p promotion) func(name string) []*appsv1.Deployment {
	return func(name string) []*appsv1.Deployment {
		ds := []*appsv1.Deployment{canaryDeployment(name, 0, false), canaryDeployment(name+"-primary", int32(*replicas), false)}
		if p == swapRoles {
			ds = append(ds, canaryDeployment(name+"-canary", 0, false))
		}
		for _, d := range ds {
			d.Labels["app"] = name
			d.Spec.Selector.MatchLabels = map[string]string{"app": name, "deployment": d.Name}
			d.Spec.Template.Labels = map[string]string{"app": name, "deployment": d.Name}
		}
		return ds
	}
}

// waitRolledOut polls the watch until the Deployment name has observed
// generation and every replica it asks for is updated and available, with
// no old one left.
func (o *observer) waitRolledOut(ctx context.Context, name string, generation int64) error {
	for {
		o.mu.Lock()
		events := o.rollout[name]
		done := len(events) > 0 && rolledOut(events[len(events)-1], generation)
		o.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s to roll out generation %d: %w", name, generation, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// rolledOut reports whether e shows generation observed and every replica
// of the spec updated and available, with no other replica left.
func rolledOut(e rolloutEvent, generation int64) bool {
	return e.observed >= generation && e.updated == e.spec && e.available == e.spec && e.replicas == e.spec
}

func TestRolledOut(t *testing.T) {
	tests := map[string]struct {
		e    rolloutEvent
		want bool
	}{
		"every replica updated and available, generation observed": {rolloutEvent{generation: 3, observed: 3, spec: 2, replicas: 2, updated: 2, available: 2}, true},
		"the new generation not yet observed":                      {rolloutEvent{generation: 3, observed: 2, spec: 2, replicas: 2, updated: 2, available: 2}, false},
		"an old replica still running beside the new ones":         {rolloutEvent{generation: 3, observed: 3, spec: 2, replicas: 3, updated: 2, available: 3}, false},
		"a new replica not yet available":                          {rolloutEvent{generation: 3, observed: 3, spec: 2, replicas: 2, updated: 2, available: 1}, false},
		"scaled to zero with no replica left":                      {rolloutEvent{generation: 4, observed: 4, spec: 0}, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := rolledOut(tc.e, 3); got != tc.want {
				t.Errorf("rolledOut(%s, 3) = %v, want %v", tc.e, got, tc.want)
			}
		})
	}
}

func TestFloorDeployments(t *testing.T) {
	type shape struct {
		name     string
		replicas int32
	}
	tests := map[string]struct {
		p    promotion
		want []shape
	}{
		"the rollout floor has the canary copy at 0 and the primary at full size": {
			rollOut, []shape{{"app-000", 0}, {"app-000-primary", 2}},
		},
		"the swap floor adds the idle slot at 0 beside the user's Deployment at 0 and the primary's slot": {
			swapRoles, []shape{{"app-000", 0}, {"app-000-primary", 2}, {"app-000-canary", 0}},
		},
	}
	defer func(r int) { *replicas = r }(*replicas)
	*replicas = 2
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var got []shape
			selectors := map[string]bool{}
			for _, d := range floorDeployments(tc.p)("app-000") {
				got = append(got, shape{d.Name, *d.Spec.Replicas})
				selector := metav1.FormatLabelSelector(d.Spec.Selector)
				if selectors[selector] {
					t.Errorf("%s shares its selector %s with another Deployment of the canary", d.Name, selector)
				}
				selectors[selector] = true
				if d.Spec.Template.Labels["app"] != "app-000" {
					t.Errorf("%s's pods lack the Service's label app=app-000: %v", d.Name, d.Spec.Template.Labels)
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(shape{})); diff != "" {
				t.Errorf("Deployments (-want +got):\n%s", diff)
			}
		})
	}
}
