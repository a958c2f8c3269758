package gates

import (
	"context"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// lateTTL bounds how long an answer that no caller received is kept for
// the next caller.
const lateTTL = time.Minute

// cache shares answers: callers that ask for the same key while a fetch
// runs wait for it (single flight), and callers within ttl of its end get
// its answer, error included, so that every canary evaluated in the same
// round is served by one query and a Prometheus outage costs one failed
// query per round, not one per canary.
//
// The ttl counts from the end of the fetch, so that a fetch slower than
// ttl (a timeout) still serves the next callers. An answer that arrived
// after every caller had stopped waiting for it is kept for the next
// caller, up to lateTTL after it arrived: a fetch slower than the callers'
// deadline is not wasted, its answer serves the next evaluation.
type cache struct {
	ttl   time.Duration
	clock clock.PassiveClock

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	ready chan struct{} // closed when the fetch has ended
	end   time.Time     // when it ended; guarded by cache.mu
	taken bool          // a caller received the answer; guarded by cache.mu
	val   any
	err   error
}

func newCache(ttl time.Duration, c clock.PassiveClock) *cache {
	return &cache{ttl: ttl, clock: c, entries: map[string]*entry{}}
}

// get returns the answer for key, calling fetch when no fresh one is
// cached or on its way. The answer is shared: callers must not modify it.
// fetch runs detached from ctx, so that one caller's cancellation does not
// fail the others; ctx bounds only the wait, and an answer already there
// is returned even when ctx has ended.
func (c *cache) get(ctx context.Context, key string, fetch func() (any, error)) (any, error) {
	e := c.start(key, fetch)
	select {
	case <-e.ready:
	case <-ctx.Done():
		if !e.done() {
			return nil, ctx.Err()
		}
	}
	c.mu.Lock()
	e.taken = true
	c.mu.Unlock()
	return e.val, e.err
}

// start calls fetch for key in the background unless a fresh answer is
// cached or a fetch is on its way, and returns the entry that will hold
// the answer.
func (c *cache) start(key string, fetch func() (any, error)) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if e, ok := c.entries[key]; ok && (!e.done() || c.fresh(e, now)) {
		return e
	}
	c.sweep(now)
	e := &entry{ready: make(chan struct{})}
	c.entries[key] = e
	go func() {
		val, err := fetch()
		c.mu.Lock()
		e.val, e.err, e.end = val, err, c.clock.Now()
		c.mu.Unlock()
		close(e.ready)
	}()
	return e
}

// fresh reports whether the finished entry e may still answer at now.
// Called with mu held.
func (c *cache) fresh(e *entry, now time.Time) bool {
	age := now.Sub(e.end)
	return age < c.ttl || (!e.taken && age < lateTTL)
}

// sweep drops finished entries that are no longer fresh. Called with mu
// held.
func (c *cache) sweep(now time.Time) {
	for k, e := range c.entries {
		if e.done() && !c.fresh(e, now) {
			delete(c.entries, k)
		}
	}
}

func (e *entry) done() bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}
