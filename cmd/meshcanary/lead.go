package main

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// leadership orders the end of a leader's term: the controller drains its
// reconciles and is fenced (run returns) before the lease is released, so
// no write of this replica can follow the first write of the next leader.
type leadership struct {
	// run runs the controller until its context is done, drains it and
	// fences its clients before it returns.
	run func(context.Context)
	// stop is done on SIGTERM or an interrupt.
	stop context.Context

	mu sync.Mutex
	// ran is closed when the current term's run returns; nil before the
	// first term.
	ran chan struct{}
}

// lead is the election's OnStartedLeading: it runs the controller until
// the lease is lost (leading is done) or stop is, and returns once the
// controller has drained.
func (l *leadership) lead(leading context.Context) {
	ran := make(chan struct{})
	l.mu.Lock()
	l.ran = ran
	l.mu.Unlock()
	defer close(ran)
	ctx, cancel := context.WithCancel(leading)
	defer cancel()
	defer context.AfterFunc(l.stop, cancel)()
	l.run(ctx)
}

// releaseAfterDrain waits for stop, then for the controller of a term
// under way to drain, and only then calls release, which ends the
// election (the lease is then given up, see releaseLease).
func (l *leadership) releaseAfterDrain(release func()) {
	<-l.stop.Done()
	l.wait()
	release()
}

// wait returns once the controller of the current term, if any, has
// drained.
func (l *leadership) wait() {
	l.mu.Lock()
	ran := l.ran
	l.mu.Unlock()
	if ran != nil {
		<-ran
	}
}

// releaseLease gives up the lease when this replica still holds it, as
// client-go's ReleaseOnCancel does, but called only once the controller
// has drained and been fenced. It is not called after a lost lease: the
// lease then expires on its own, after the drain (which is shorter than
// the time between the renew deadline and the expiry), whereas
// ReleaseOnCancel would hand it over at once, during the drain.
func releaseLease(ctx context.Context, lock resourcelock.Interface, log *zap.Logger) {
	ctx, cancel := context.WithTimeout(ctx, leaseReleaseTimeout)
	defer cancel()
	rec, _, err := lock.Get(ctx)
	if err != nil {
		log.Warn("reading the lease to release it", zap.Error(err))
		return
	}
	if rec.HolderIdentity != lock.Identity() {
		return
	}
	now := metav1.Now()
	if err := lock.Update(ctx, resourcelock.LeaderElectionRecord{
		LeaderTransitions: rec.LeaderTransitions, LeaseDurationSeconds: 1, RenewTime: now, AcquireTime: now,
	}); err != nil {
		log.Warn("releasing the lease", zap.Error(err))
		return
	}
	log.Info("lease released", zap.String("identity", lock.Identity()))
}

// leaseReleaseTimeout bounds the release of the lease at shutdown.
const leaseReleaseTimeout = 5 * time.Second
