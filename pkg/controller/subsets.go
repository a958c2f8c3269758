package controller

import "time"

// A route that names the canary subset must reach Envoy in a later xDS
// push than the subset itself (make before break): istiod debounces
// changes (100 ms by default) and pushes the subset's cluster and the
// route together otherwise, and Envoy answers 503 NC while that cluster's
// endpoints are still on their way. The controller therefore remembers
// when it first saw each canary subset in its cache (subsetSince), and the
// stepper gives the canary no weight before the subset is
// stepper.SubsetLead old (Observations.SubsetAge).

// subsetMemo is when a canary subset selecting hash was first seen.
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
