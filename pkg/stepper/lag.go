package stepper

// A step's bake time counts from the moment every VirtualService the
// release is split in carries the step's weight. The decision that sets the
// weight is written with the home VirtualService's routes, and the other
// VirtualServices are written right after it in the same reconcile, so the
// step normally starts at that decision (Status.StepStart), at no write of
// its own. Only a decision that finds the weight missing from some of them
// (a crash, a conflict or an error between those writes) records the lag
// in the status, and the first decision that sees the weight on all of
// them starts the step again: two status-only writes, after a lost write
// only.

// trackLag records that the step's weight lags on some VirtualService,
// once, and starts the step again at the first decision after a lag that
// sees the weight on every one (see Status.WeightLagSince).
func (m *machine) trackLag() {
	s := &m.s
	switch {
	case s.Step == 0:
	case s.WeightLagSince == nil && m.o.Uneven:
		s.WeightLagSince = m.stamp()
	case s.WeightLagSince != nil && m.applied():
		s.StepStart, s.HoldSince, s.WeightLagSince = m.stamp(), nil, nil
	}
}

// keepLag keeps Status.WeightLagSince only while the release stays at the
// step it was seen at, paused or not.
func (m *machine) keepLag(prev Status) {
	if effectivePhase(m.s) != PhaseProgressing || m.s.Step != prev.Step {
		m.s.WeightLagSince = nil
	}
}
