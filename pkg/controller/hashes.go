package controller

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// The pod-template-hash of the canary's ReplicaSet is learned at step 0,
// once the Deployment controller has created the ReplicaSet, usually a
// reconcile or two after the release started. Writing the status only to
// record it would cost a VirtualService write per release; it is kept in
// memory instead (hashOf) and goes into the status with the next write
// that is due anyway, the first step's weight. A restarted controller
// learns it again with one ReplicaSet LIST.
//
// A LIST can also find no ReplicaSet of the template although the
// Deployment controller has observed it: when the template changed while
// the Deployment was scaling (an old ReplicaSet still running pods, for
// example the canary's scale-down from the last release not finished), the
// Deployment controller handles the scale first, records the generation as
// observed, and creates the new ReplicaSet only in a later sync. Such a
// LIST is not repeated until the Deployment controller reports something
// new (rolloutReport): creating a ReplicaSet, it updates the Deployment's
// revision annotation and its Progressing condition. Listing at every
// status update meanwhile cost 3.8 LISTs per canary per release at N=500.

// canaryHashMemo is what is known of a revision's ReplicaSet: its
// pod-template-hash once learned; before, absentAt, the Deployment
// controller's report (rolloutReport) when a LIST last found none.
type canaryHashMemo struct{ revision, hash, absentAt string }

// hashOf returns the hash learned for key's revision, if any.
func (c *Controller) hashOf(key, revision string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.hashes[key]
	return m.hash, ok && m.revision == revision && m.hash != ""
}

// rememberHash keeps the hash learned for key's revision.
func (c *Controller) rememberHash(key, revision, hash string) {
	c.setHashMemo(key, canaryHashMemo{revision: revision, hash: hash})
}

// rememberAbsent keeps that a LIST found no ReplicaSet of key's revision
// while the Deployment controller's report was report.
func (c *Controller) rememberAbsent(key, revision, report string) {
	c.setHashMemo(key, canaryHashMemo{revision: revision, absentAt: report})
}

// listedInVain reports whether a LIST already found no ReplicaSet of key's
// revision under the same report of the Deployment controller: listing
// again would find none either.
func (c *Controller) listedInVain(key, revision, report string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.hashes[key]
	return ok && m.revision == revision && m.hash == "" && m.absentAt == report
}

func (c *Controller) setHashMemo(key string, m canaryHashMemo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hashes == nil {
		c.hashes = map[string]canaryHashMemo{}
	}
	c.hashes[key] = m
}

// rolloutReport is what the Deployment controller last reported of d's
// rollout, as one comparable string: the generation it observed, the
// revision annotation and the Progressing condition. Creating the
// ReplicaSet of a new template it changes the annotation and (with a
// progress deadline, the default) the condition's message, which names the
// ReplicaSet; the replica counts it reports while scaling change none of
// them.
func rolloutReport(d *appsv1.Deployment) string {
	report := fmt.Sprintf("%d/%s", d.Status.ObservedGeneration, d.Annotations[deploymentRevisionAnnotation])
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing {
			report += fmt.Sprintf("/%s/%s/%s/%s", c.Status, c.Reason, c.Message, c.LastUpdateTime.UTC())
		}
	}
	return report
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
