package stepper_test

import (
	"github.com/meshcanary/meshcanary/internal/golden"

	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// Rollout times of the simulated Deployments.
const (
	canaryRollout  = 30 * time.Second
	primaryRollout = time.Minute
)

// world is what a controller observes, changed by the actions it carries
// out. Writes land at once; Deployments take their rollout time.
type world struct {
	revision, hash  string // the user's template
	canaryUp        bool
	canaryReadyAt   time.Time
	primaryRevision string // "" until the primary exists
	primaryReadyAt  time.Time
	routed          bool
	applied         int32
	command         string
}

// setTemplate is the user changing the pod template.
func (w *world) setTemplate(revision string, now time.Time) {
	w.revision, w.hash = revision, "h"+strings.TrimPrefix(revision, "r")
	w.canaryReadyAt = now.Add(canaryRollout)
}

func (w *world) observe(now time.Time) stepper.Observations {
	primary := w.primaryRevision != ""
	return stepper.Observations{
		Revision: w.revision, CanaryHash: w.hash, CanaryAvailable: w.canaryUp && !now.Before(w.canaryReadyAt),
		PrimaryExists: primary, PrimaryRevision: w.primaryRevision, PrimaryAvailable: primary && !now.Before(w.primaryReadyAt),
		// The DestinationRule is not modelled: its subsets are long in place.
		SubsetsReady: primary, SubsetAge: time.Hour, Routed: w.routed, AppliedWeight: w.applied, Command: w.command,
	}
}

// apply carries out actions as the controller would and reports whether
// anything changed (an informer event then triggers the next decision).
func (w *world) apply(t *testing.T, s stepper.Status, a stepper.Actions, now time.Time) bool {
	before := *w
	if a.PrimaryRevision != "" && a.PrimaryRevision != w.primaryRevision {
		if a.PrimaryRevision != w.revision {
			t.Errorf("%s: primary asked for %s but the template is %s", now.Sub(t0), a.PrimaryRevision, w.revision)
		}
		w.primaryRevision, w.primaryReadyAt = a.PrimaryRevision, now.Add(primaryRollout)
	}
	if a.Route {
		w.routed, w.applied = true, s.Weight
	}
	switch {
	case a.Canary == stepper.ScaleUp && !w.canaryUp:
		w.canaryUp, w.canaryReadyAt = true, now.Add(canaryRollout)
	case a.Canary == stepper.ScaleDown:
		w.canaryUp = false
	}
	if w.applied > 0 && !w.observe(now).CanaryAvailable {
		t.Errorf("%s: weight %d routed to a canary without available pods", now.Sub(t0), w.applied)
	}
	return *w != before
}

// scripted is something the user does at a time.
type scripted struct {
	at time.Duration
	do func(w *world, now time.Time)
}

// sim runs Next as a controller would: on changes, at Requeue, and with
// gate evaluations when NeedsEvaluation says so.
type sim struct {
	cfg      config.Config
	gate     func(s stepper.Status, now time.Time) []gates.Verdict // nil: no gates
	script   []scripted
	restart  bool // forget everything but the status before each decision
	w        world
	s        stepper.Status
	now      time.Time
	lastEval time.Time
	log      strings.Builder
	weights  []int32
	phases   []stepper.Phase
	times    map[string][]time.Duration // event reason → when
}

func newSim(script ...scripted) *sim {
	m := &sim{cfg: testConfig(), script: script, now: t0, times: map[string][]time.Duration{}}
	m.w.setTemplate("r0", t0.Add(-canaryRollout))
	m.w.canaryUp = true
	return m
}

// run decides until nothing is due or until the end.
func (m *sim) run(t *testing.T, end time.Duration) {
	t.Helper()
	for range 2000 {
		for len(m.script) > 0 && !t0.Add(m.script[0].at).After(m.now) {
			m.script[0].do(&m.w, m.now)
			m.script = m.script[1:]
		}
		next, ok := m.next(m.decide(t))
		if !ok || next.After(t0.Add(end)) {
			return
		}
		m.now = next
	}
	t.Fatalf("no end after 2000 decisions")
}

// decide takes one decision and carries out its actions; it returns what
// is due next: a change (at once) or the requeue.
func (m *sim) decide(t *testing.T) (changed bool, requeue time.Duration) {
	if m.restart {
		b, err := json.Marshal(m.s)
		if err != nil {
			t.Fatal(err)
		}
		m.s, m.lastEval = stepper.Status{}, time.Time{}
		if err := json.Unmarshal(b, &m.s); err != nil {
			t.Fatal(err)
		}
	}
	o := m.w.observe(m.now)
	if stepper.NeedsEvaluation(m.cfg, m.s, m.now, m.lastEval) {
		o.Verdicts, m.lastEval = []gates.Verdict{}, m.now
		if m.gate != nil {
			o.Verdicts = m.gate(m.s, m.now)
		}
	}
	s, a := stepper.Next(m.cfg, m.s, o, m.now)
	m.s = s
	for _, e := range a.Events {
		kind := "Normal"
		if e.Warning {
			kind = "Warning"
		}
		fmt.Fprintf(&m.log, "%-8s %-12s step %d/%d weight %d/%d  %-7s %s: %s\n", m.now.Sub(t0), s.Phase,
			s.Step, s.Steps, s.Weight, s.Total, kind, e.Reason, e.Message)
		m.times[e.Reason] = append(m.times[e.Reason], m.now.Sub(t0))
	}
	if len(m.weights) == 0 || m.weights[len(m.weights)-1] != s.Weight {
		m.weights = append(m.weights, s.Weight)
	}
	if len(m.phases) == 0 || m.phases[len(m.phases)-1] != s.Phase {
		m.phases = append(m.phases, s.Phase)
	}
	return m.w.apply(t, s, a, m.now), a.Requeue
}

// next is when the next decision is due: at once after a change, else the
// earliest of the requeue, a rollout ending and the script.
func (m *sim) next(changed bool, requeue time.Duration) (time.Time, bool) {
	if changed {
		return m.now, true
	}
	var due []time.Time
	if requeue > 0 {
		due = append(due, m.now.Add(requeue))
	}
	for _, t := range []time.Time{m.w.canaryReadyAt, m.w.primaryReadyAt} {
		if t.After(m.now) {
			due = append(due, t)
		}
	}
	if len(m.script) > 0 {
		due = append(due, t0.Add(m.script[0].at))
	}
	if len(due) == 0 {
		return time.Time{}, false
	}
	return slices.MinFunc(due, func(a, b time.Time) int { return a.Compare(b) }), true
}

// template and command script the user.
func template(at time.Duration, revision string) scripted {
	return scripted{at, func(w *world, now time.Time) { w.setTemplate(revision, now) }}
}

func command(at time.Duration, c string) scripted {
	return scripted{at, func(w *world, _ time.Time) { w.command = c }}
}

// checkGolden compares the transcript with testdata/name.golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, name+".golden", got)
}

// expect compares what a simulation did with what a test wants.
func expect[T any](t *testing.T, what string, want, got T) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}
