package gates

import (
	"context"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// cache shares query answers: callers that ask for the same key while a
// query runs wait for it (single flight), and callers within ttl of its
// start get its answer, error included, so that every canary evaluated in
// the same round is served by one query and a Prometheus outage costs one
// failed query per round, not one per canary.
type cache struct {
	ttl   time.Duration
	clock clock.PassiveClock

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	start time.Time
	ready chan struct{}
	val   any
	err   error
}

func newCache(ttl time.Duration, c clock.PassiveClock) *cache {
	return &cache{ttl: ttl, clock: c, entries: map[string]*entry{}}
}

// get returns the answer for key, calling fetch when no fresh one is
// cached or on its way. The answer is shared: callers must not modify it. fetch runs detached from ctx, so that one caller's
// cancellation does not fail the others; ctx bounds only the wait.
func (c *cache) get(ctx context.Context, key string, fetch func() (any, error)) (any, error) {
	c.mu.Lock()
	now := c.clock.Now()
	e, ok := c.entries[key]
	if !ok || (e.done() && now.Sub(e.start) >= c.ttl) {
		c.sweep(now)
		e = &entry{start: now, ready: make(chan struct{})}
		c.entries[key] = e
		go func() {
			e.val, e.err = fetch()
			close(e.ready)
		}()
	}
	c.mu.Unlock()
	select {
	case <-e.ready:
		return e.val, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// sweep drops finished, expired entries. Called with mu held.
func (c *cache) sweep(now time.Time) {
	for k, e := range c.entries {
		if e.done() && now.Sub(e.start) >= c.ttl {
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
