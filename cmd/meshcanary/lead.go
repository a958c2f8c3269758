package main

import (
	"context"
	"sync"
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
// under way to drain, and only then calls release, which cancels the
// election so that it releases the lease.
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
