package controller

import "time"

// A route that names the canary subset must reach Envoy in a later xDS
// push than the subset itself (make before break): istiod debounces
// changes (100 ms by default) and pushes the subset's cluster and the
// route together otherwise, and Envoy answers 503 NC while that cluster's
// endpoints are still on their way. The controller therefore remembers
// when it first saw each canary subset in its cache (subsetSince), and the
// stepper gives the canary no weight before the subset is
// stepper.SubsetLead old (Observations.SubsetAge). Only the first route
// naming the subset waits: a restarted controller that finds the canary
// already taking weight moves on without waiting for the lead again.

// The primary subset at adoption is held to the same lead (hash "").

// subsetMemo is when the subsets with a canary selecting hash (none when
// hash is "") were first seen.
type subsetMemo struct {
	hash string
	at   time.Time
}

// subsetSince returns when key's canary subset selecting hash was first
// seen in the cache, now when this is the first time (also after a
// restart: the lead then counts from the restart, never less).
func (c *Controller) subsetSince(key, hash string, now time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m, ok := c.subsets[key]; ok && m.hash == hash {
		return m.at
	}
	if c.subsets == nil {
		c.subsets = map[string]subsetMemo{}
	}
	c.subsets[key] = subsetMemo{hash: hash, at: now}
	return now
}

// The same holds the other way at the end of an opt-out: a route back on
// the plain service host must reach Envoy in an earlier push than the
// removal of the subsets the old route named, or Envoy loses the primary's
// cluster while its route still names it (503 NC; seen in the simulator's
// xDS mode, 0.5 to 11.7 ms). routesGoneSince gives the opt-out the time
// to wait.

// routesGoneSince returns when key's routes were first seen naming none of
// meshcanary's subsets, now when this is the first time (also after a
// restart: the lead then counts from the restart, never less).
func (c *Controller) routesGoneSince(key string, now time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if at, ok := c.routesGone[key]; ok {
		return at
	}
	if c.routesGone == nil {
		c.routesGone = map[string]time.Time{}
	}
	c.routesGone[key] = now
	return now
}
