package controller

import (
	"google.golang.org/protobuf/proto"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// A release promoted by role swap starts in one write: the canary's slot
// gets the release's template, its replicas and the status of step 0
// (config.ReleaseAnnotation), while the home VirtualService keeps its idle
// status until step 1 writes the first weight with the status. Until then
// the record is the status (stepper.Recorded): a crash after the write
// resumes step 0, a crash before it decides the start again. See
// docs/design.md, "The step-0 record".

// readRecord takes the release recorded on the canary's slot for the
// status when it counts: a release promoted by role swap between its start
// and its first weight.
func readRecord(s *snapshot) {
	if s.slot == "" || s.statusFrom != fromHome {
		return
	}
	raw := s.canaryRecord()
	if st, ok := stepper.Recorded(s.home, raw); ok {
		s.status, s.statusRaw, s.statusFrom = st, raw, fromSlot
	}
}

// canaryRecord is the release record of the canary's slot, "" when there
// is none (or no slot).
func (s *snapshot) canaryRecord() string {
	if s.canary == nil {
		return ""
	}
	return s.canary.Annotations[config.ReleaseAnnotation]
}

// recordStart decides whether next, a decision on s, is a start the
// canary's slot records instead of the home: a release of a Deployment
// promoted by role swap that the home's idle status does not hold, of the
// user's current template (the slot gets it in the same write), whose
// record the next reconcile reads back (stepper.Recorded: with a clock
// behind the home's last transition it would not, and the home is written
// as before), and whose routes are the live ones. It sets s.recordsStart.
func recordStart(s *snapshot, next stepper.Status, desired *networkingv1.VirtualService) bool {
	if s.slot == "" || !startsRelease(s.status, next) || next.Revision != s.obs.Revision || !proto.Equal(&s.vs.Spec, &desired.Spec) {
		return false
	}
	_, s.recordsStart = stepper.Recorded(s.home, next.Encode())
	return s.recordsStart
}

// recordHolds reports whether next, decided on a status read from the
// canary slot's record, is that record (or it with the canary hash learned)
// with the live routes: nothing is written for it.
func recordHolds(s *snapshot, next stepper.Status, desired *networkingv1.VirtualService) bool {
	return s.statusFrom == fromSlot && proto.Equal(&s.vs.Spec, &desired.Spec) &&
		(next.Encode() == s.statusRaw || onlyHashLearned(s.status, s.statusRaw, next))
}
