package controller

import (
	"context"
	"maps"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// The status annotation is written first in a reconcile, before the
// routes it implies. Deciding on a status older than the one last written
// would undo it: a reconcile that reads the previous step's status after
// the next step's was written writes the previous step's weight back,
// moving traffic backwards. Two things prevent it: a reconcile waits until
// the cache shows the controller's own last status write (ownWrites), and a
// status write that conflicts only because the Deployment controller
// updated the object's .status is retried on the fresh object instead of
// being dropped (updateUser).

// ownWriteWait bounds how long reconciles wait for the cache to show the
// controller's own status write; past it the cache is trusted again, so a
// status changed by someone else in the meantime cannot stall a canary.
const ownWriteWait = 10 * time.Second

// staleCacheRetry is how soon a reconcile that found the cache behind the
// controller's own write looks again: that write's watch event does not
// enqueue the key (see userChanged).
const staleCacheRetry = 100 * time.Millisecond

// maxStatusConflicts is how many times a status write is retried after
// conflicts with updates of the Deployment's .status alone.
const maxStatusConflicts = 5

// ownWrites remembers the status each canary was last written with, until
// the cache shows it. The zero value is ready to use.
type ownWrites struct {
	mu sync.Mutex
	m  map[string]ownWrite
}

type ownWrite struct {
	status string
	at     time.Time
}

// wrote records that key's status annotation was written as status at now.
func (w *ownWrites) wrote(key, status string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]ownWrite{}
	}
	w.m[key] = ownWrite{status: status, at: now}
}

// behind reports whether the cached Deployment of key does not show the
// status last written yet. The record is dropped once it does, or after
// ownWriteWait.
func (w *ownWrites) behind(key string, cached *appsv1.Deployment, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.m[key]
	if !ok {
		return false
	}
	if cached.Annotations[config.StatusAnnotation] == last.status || now.Sub(last.at) > ownWriteWait {
		delete(w.m, key)
		return false
	}
	return true
}

func (w *ownWrites) forget(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, key)
}

// updateUser writes d, the cached user's Deployment with new replicas or
// status. A conflict is retried on the live object when the live object
// differs from the cached one only in what nobody but the Deployment
// controller and meshcanary write (.status, resourceVersion): the decision
// was taken on the same spec and annotations, so it still holds. Any other
// change (a user's edit) returns the conflict before anything else is
// written, so the next reconcile decides again on fresh state.
func (c *Controller) updateUser(ctx context.Context, cached, d *appsv1.Deployment) error {
	deployments := c.kube.AppsV1().Deployments(d.Namespace)
	for attempt := 1; ; attempt++ {
		_, err := deployments.Update(ctx, d, updateOpts)
		c.countWrite("Deployment", "update")
		if !apierrors.IsConflict(err) || attempt == maxStatusConflicts {
			return err
		}
		live, getErr := deployments.Get(ctx, d.Name, metav1.GetOptions{})
		if getErr != nil || !sameButStatus(cached, live) {
			return err
		}
		live.Annotations, live.Spec.Replicas = d.Annotations, d.Spec.Replicas
		d = live
	}
}

// sameButStatus reports whether live is the cached Deployment with at most
// its .status changed: same generation (so the same spec), labels and
// annotations.
func sameButStatus(cached, live *appsv1.Deployment) bool {
	return cached.UID == live.UID && cached.Generation == live.Generation &&
		maps.Equal(cached.Labels, live.Labels) && maps.Equal(cached.Annotations, live.Annotations)
}
