package controller

import "github.com/meshcanary/meshcanary/pkg/stepper"

// The pod-template-hash of the canary's ReplicaSet is learned at step 0,
// once the Deployment controller has created the ReplicaSet, usually a
// reconcile or two after the release started. Writing the status only to
// record it would cost a VirtualService write per release; it is kept in
// memory instead (hashOf) and goes into the status with the next write
// that is due anyway, the first step's weight. A restarted controller
// learns it again with one ReplicaSet LIST.

// canaryHashMemo is a learned hash: the revision's pod-template-hash.
type canaryHashMemo struct{ revision, hash string }

// hashOf returns the hash learned for key's revision, if any.
func (c *Controller) hashOf(key, revision string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.hashes[key]
	return m.hash, ok && m.revision == revision && m.hash != ""
}

// rememberHash keeps the hash learned for key's revision.
func (c *Controller) rememberHash(key, revision, hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hashes == nil {
		c.hashes = map[string]canaryHashMemo{}
	}
	c.hashes[key] = canaryHashMemo{revision: revision, hash: hash}
}

// onlyHashLearned reports whether next differs from the persisted status
// (raw, read from the home VirtualService) only by the canary hash it
// learned, which then need not be written on its own.
func onlyHashLearned(persisted stepper.Status, raw string, next stepper.Status) bool {
	if persisted.CanaryHash != "" || next.CanaryHash == "" {
		return false
	}
	next.CanaryHash = ""
	return next.Encode() == raw
}
