//go:build scale

package scale

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/meshcanary/meshcanary/test/cluster"
)

// floorRun is what the cluster floor recorded: the cluster work of a
// release done by a script, with no canary controller, on a fresh cluster.
type floorRun struct {
	runDir   string
	patched  map[string]time.Time // the canary copy's patch (new image, scaled up)
	promoted map[string]time.Time // the primary's rollout of the new image complete
	scaled   map[string]time.Time // the canary copy back at 0 replicas
	pods     int                  // Pods created during the release
}

// measureFloor does, for n canaries on a fresh cluster, the cluster work a
// release asks for, on the controllers' schedule, with nothing else
// running: the canary copy (<name>, 0 replicas) takes the new image and the
// primary's replicas; once available, it is left for the schedule's
// stepCount × stepInterval; then the primary (<name>-primary) takes the new
// image; once rolled out, the copy is scaled back to 0.
func measureFloor(b *testing.B, n int, logRoot string) floorRun {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Options{
		Name: fmt.Sprintf("floor-%d", n), Nodes: nodesFor(n), StartTimeout: 3 * time.Minute, LogRoot: logRoot,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	b.Logf("floor: local cluster ready in %s, logs in %s", c.StartDuration.Round(time.Millisecond), c.RunDir)
	cfg := c.AdminConfig()
	cfg.QPS, cfg.Burst = 500, 1000
	kube, err := kubernetes.NewForConfig(cfg)
	must(b, err)
	obs, err := startObserver(ctx, cfg, false)
	must(b, err)
	names := canaryNames(n)
	primaries := make([]string, n)
	for i, name := range names {
		primaries[i] = name + "-primary"
	}
	must(b, createCanaries(ctx, kube, names, floorDeployments))
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
			times, err := floorRelease(ctx, kube, obs, name)
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

// floorTimes are when one canary's floor release was patched, its primary
// rolled out and its canary copy back at 0 replicas.
type floorTimes struct {
	patched, promoted, scaled time.Time
}

// floorRelease does one canary's cluster work, all its waits included.
func floorRelease(ctx context.Context, kube kubernetes.Interface, obs *observer, name string) (floorTimes, error) {
	deployments := kube.AppsV1().Deployments(namespace)
	image := fmt.Appendf(nil, `{"spec":{"template":{"spec":{"containers":[{"name":%q,"image":%q}]}}}}`, container, imageV2)
	scaleUp := fmt.Appendf(nil, `{"spec":{"replicas":%d,"template":{"spec":{"containers":[{"name":%q,"image":%q}]}}}}`,
		*replicas, container, imageV2)
	step := func(deployment string, patch []byte) error {
		d, err := deployments.Patch(ctx, deployment, types.StrategicMergePatchType, patch, metav1.PatchOptions{})
		if err != nil {
			return fmt.Errorf("patching %s: %w", deployment, err)
		}
		return obs.waitRolledOut(ctx, deployment, d.Generation)
	}
	t := floorTimes{patched: time.Now()}
	if err := step(name, scaleUp); err != nil {
		return t, err
	}
	time.Sleep(stepCount * stepInterval)
	if err := step(name+"-primary", image); err != nil {
		return t, err
	}
	t.promoted = time.Now()
	err := step(name, []byte(`{"spec":{"replicas":0}}`))
	t.scaled = time.Now()
	return t, err
}

// floorDeployments are the canary copy (0 replicas) and the primary of the
// canary name, both on the old image, with selectors apart.
func floorDeployments(name string) []*appsv1.Deployment {
	canary := canaryDeployment(name, 0, false)
	primary := canaryDeployment(name+"-primary", int32(*replicas), false)
	for role, d := range map[string]*appsv1.Deployment{"canary": canary, "primary": primary} {
		d.Labels["app"] = name
		d.Spec.Selector.MatchLabels = map[string]string{"app": name, "role": role}
		d.Spec.Template.Labels = map[string]string{"app": name, "role": role}
	}
	return []*appsv1.Deployment{canary, primary}
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
