package stepper

// A release of a Deployment promoted by role swap starts in one write: the
// canary's slot gets the release's template, its replicas and the start
// itself, the status of step 0, in config.ReleaseAnnotation. The status in
// the home VirtualService stays idle until step 1 writes it with the first
// weight. A crash after that write therefore resumes step 0 (its progress
// deadline keeps counting) instead of starting it again; see docs/design.md,
// "The step-0 record" (invariant 7).

// Recorded returns the status a release record on the canary's slot stands
// for, given home, the status the home VirtualService holds, and record,
// the slot's config.ReleaseAnnotation. ok is false when the record does not
// count: the home's status is not idle (the home holds the release then),
// the record is not a start (Progressing at step 0, weight 0) of the same
// primary slot, or it is not newer than the home's last transition (a
// record left from the slot's earlier release: the one the home's status
// ended, or an older one). A record that does not parse does not count
// either: it is meshcanary's own, and the home's status is the state then.
func Recorded(home Status, record string) (s Status, ok bool) {
	if record == "" || home.Phase == PhasePaused || !idlePhase(home.Phase) {
		return Status{}, false
	}
	r, ok, err := ParseStatus(record)
	if err != nil || !ok {
		return Status{}, false
	}
	if r.Phase != PhaseProgressing || r.Step != 0 || r.Weight != 0 || r.Mirroring ||
		r.PrimarySlot == "" || r.PrimarySlot != home.PrimarySlot || !r.TransitionTime.After(home.TransitionTime) {
		return Status{}, false
	}
	return r, true
}
