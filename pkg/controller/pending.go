package controller

import "github.com/meshcanary/meshcanary/pkg/stepper"

// A status has no home while the Deployment has no VirtualService: during
// adoption, until the primary serves and meshcanary creates one with the
// first routes, or while the configuration is too invalid to route. Nothing
// in those phases moves traffic or decides anything a restart could not
// decide again from the cluster (adoption takes the existing primary's
// revision as stable), so the status is kept in memory only, which is
// enough to record each Event once. A restarted controller decides it
// again.

// pendingOf returns the status decided in memory for key, if any.
func (c *Controller) pendingOf(key string) (stepper.Status, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.pending[key]
	return s, ok
}

// setPending keeps the status decided for key while it has no home.
func (c *Controller) setPending(key string, s stepper.Status) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = map[string]stepper.Status{}
	}
	c.pending[key] = s
}

// clearPending forgets the status kept in memory once the home holds one.
func (c *Controller) clearPending(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, key)
}
