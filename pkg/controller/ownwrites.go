package controller

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// The status annotation of the home VirtualService carries each decision,
// with the routes it implies. Deciding on a status older than the one last
// written would undo it: a reconcile that reads the previous step's status
// after the next step's was written writes the previous step's weight back,
// moving traffic backwards. So a reconcile waits until the cache shows the
// controller's own last status write (ownWrites), and likewise its last
// write of the canary's replicas, so that it does not scale the canary
// again from a stale count, and its last route writes of the other
// VirtualServices split with the home one, so that it does not take a
// VirtualService its cache shows late for one that lags behind the status
// (see stepper.Status.WeightLagSince). A write of the user's Deployment that
// conflicts only because the Deployment controller updated the object's
// .status is retried on the fresh object instead of being dropped
// (updateUser).

// ownWriteWait bounds how long reconciles wait for the cache to show the
// controller's own write; past it the cache is trusted again, so a status
// changed by someone else in the meantime cannot stall a canary.
const ownWriteWait = 10 * time.Second

// staleCacheRetry is how soon a reconcile that found the cache behind the
// controller's own write looks again: a status write's watch event does
// not enqueue the key (see statusOnly).
const staleCacheRetry = 100 * time.Millisecond

// maxStatusConflicts is how many times a write of the user's Deployment is
// retried after conflicts with updates of its .status alone.
const maxStatusConflicts = 5

// ownWrites remembers, per canary, the status last written to its home
// VirtualService, the generation its Deployment got from the last replica
// write and those the other VirtualServices split got from the last
// writes of their routes, until the cache shows them. The zero value is
// ready to use.
type ownWrites struct {
	mu sync.Mutex
	m  map[string]ownWrite
}

type ownWrite struct {
	status   string
	statusAt time.Time
	// generation is the user's Deployment's generation after the write;
	// 0 when none is awaited.
	generation   int64
	generationAt time.Time
	// splits are the generations of the split VirtualServices written, by
	// namespace/name, splitsAt the time of the last of those writes.
	splits   map[string]int64
	splitsAt time.Time
	// record is the release record written to the canary's slot (see
	// recordStart), recordAt when.
	record   string
	recordAt time.Time
}

// awaits reports whether o still waits for the cache to show a write.
func (o ownWrite) awaits() bool {
	return o.status != "" || o.generation != 0 || len(o.splits) > 0 || o.record != ""
}

// wrote records that key's status was written as status at now.
func (w *ownWrites) wrote(key, status string, now time.Time) {
	w.update(key, func(o *ownWrite) { o.status, o.statusAt = status, now })
}

// wroteUser records that key's Deployment was written, getting generation.
func (w *ownWrites) wroteUser(key string, generation int64, now time.Time) {
	w.update(key, func(o *ownWrite) { o.generation, o.generationAt = generation, now })
}

// wroteSplit records that key's split VirtualService ref (namespace/name)
// was written, getting generation.
func (w *ownWrites) wroteSplit(key, ref string, generation int64, now time.Time) {
	w.update(key, func(o *ownWrite) {
		if o.splits == nil {
			o.splits = map[string]int64{}
		}
		o.splits[ref], o.splitsAt = generation, now
	})
}

func (w *ownWrites) update(key string, f func(*ownWrite)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]ownWrite{}
	}
	o := w.m[key]
	f(&o)
	w.m[key] = o
}

// behind reports whether the cache does not show key's last own writes
// yet: status is the status annotation of the cached home (or of wherever
// the status was read), generation the cached Deployment's. A record is
// dropped once the cache shows it, or after ownWriteWait.
func (w *ownWrites) behind(key, status string, generation int64, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	o, ok := w.m[key]
	if !ok {
		return false
	}
	if o.status != "" && (status == o.status || now.Sub(o.statusAt) > ownWriteWait) {
		o.status = ""
	}
	if o.generation != 0 && (generation >= o.generation || now.Sub(o.generationAt) > ownWriteWait) {
		o.generation = 0
	}
	return w.keep(key, o, o.status != "" || o.generation != 0)
}

// wroteRecord records that key's canary slot was written with the release
// record record.
func (w *ownWrites) wroteRecord(key, record string, now time.Time) {
	w.update(key, func(o *ownWrite) { o.record, o.recordAt = record, now })
}

// recordBehind reports whether the cache does not show key's last release
// record yet: live is the cached canary slot's. A record is dropped once
// the cache shows it, or after ownWriteWait.
func (w *ownWrites) recordBehind(key, live string, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	o, ok := w.m[key]
	if !ok || o.record == "" {
		return false
	}
	if live == o.record || now.Sub(o.recordAt) > ownWriteWait {
		o.record = ""
	}
	return w.keep(key, o, o.record != "")
}

// splitsBehind reports whether the cache does not show key's last own
// route writes of its split VirtualServices yet: splits are the cached
// ones. A write is dropped once the cache shows its generation (or a later
// one), once the VirtualService is no longer split, or after ownWriteWait.
func (w *ownWrites) splitsBehind(key string, splits []*networkingv1.VirtualService, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	o, ok := w.m[key]
	if !ok || len(o.splits) == 0 {
		return false
	}
	if now.Sub(o.splitsAt) > ownWriteWait {
		o.splits = nil
		return w.keep(key, o, false)
	}
	for ref, written := range o.splits {
		i := slices.IndexFunc(splits, func(vs *networkingv1.VirtualService) bool { return vs.Namespace+"/"+vs.Name == ref })
		if i < 0 || splits[i].Generation >= written {
			delete(o.splits, ref)
		}
	}
	return w.keep(key, o, len(o.splits) > 0)
}

// keep stores o as key's record, or drops it when it awaits nothing, and
// returns behind.
func (w *ownWrites) keep(key string, o ownWrite, behind bool) bool {
	if !o.awaits() {
		delete(w.m, key)
		return behind
	}
	w.m[key] = o
	return behind
}

func (w *ownWrites) forget(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.m, key)
}

// updateUser writes d, the cached user's Deployment with new replicas
// (or without an older meshcanary's status annotation), and returns it as
// written. A conflict is retried on the live object when the live object
// differs from the cached one only in what nobody but the Deployment
// controller and meshcanary write (.status, resourceVersion): the decision
// was taken on the same spec and annotations, so it still holds. Any other
// change (a user's edit) returns the conflict before anything else is
// written, so the next reconcile decides again on fresh state.
func (c *Controller) updateUser(ctx context.Context, cached, d *appsv1.Deployment) (*appsv1.Deployment, error) {
	deployments := c.kube.AppsV1().Deployments(d.Namespace)
	for attempt := 1; ; attempt++ {
		written, err := deployments.Update(ctx, d, updateOpts)
		err = c.counted("Deployment", "update", err)
		if !apierrors.IsConflict(err) || attempt == maxStatusConflicts {
			return written, err
		}
		live, getErr := deployments.Get(ctx, d.Name, metav1.GetOptions{})
		if getErr != nil || !sameButStatus(cached, live) {
			return nil, err
		}
		live.Spec.Replicas = d.Spec.Replicas
		if _, legacy := d.Annotations[config.StatusAnnotation]; !legacy {
			delete(live.Annotations, config.StatusAnnotation)
		}
		d = live
	}
}

// sameButStatus reports whether live is the cached Deployment with at most
// what the Deployment controller writes changed: its .status and its
// revision annotation (deployment.kubernetes.io/revision, set when it
// creates the ReplicaSet of a new template). Same generation (so the same
// spec), labels and other annotations.
func sameButStatus(cached, live *appsv1.Deployment) bool {
	return cached.UID == live.UID && cached.Generation == live.Generation &&
		maps.Equal(cached.Labels, live.Labels) && equalExcept(cached.Annotations, live.Annotations, deploymentRevisionAnnotation)
}

// deploymentRevisionAnnotation is the Deployment controller's revision
// number of a Deployment's current template.
const deploymentRevisionAnnotation = "deployment.kubernetes.io/revision"
