package gates

import (
	"sync"
	"time"

	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// releaseKey identifies a canary Deployment.
type releaseKey struct{ namespace, deployment string }

// releases holds the in-memory state of every release being judged.
type releases struct {
	mu sync.Mutex
	m  map[releaseKey]*releaseState
}

// get returns the state of r's Deployment, creating it.
func (rs *releases) get(r Release) *releaseState {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	k := releaseKey{r.Namespace, r.Deployment}
	st := rs.m[k]
	if st == nil {
		st = &releaseState{}
		rs.m[k] = st
	}
	return st
}

func (rs *releases) forget(namespace, deployment string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.m, releaseKey{namespace, deployment})
}

// releaseState is what the gates remember of one release between
// evaluations: baselines of the cumulative counters and the evidence of
// the sequential test. It is lost on restart; the gates then start again
// from the counters at the beginning of the current step.
type releaseState struct {
	mu        sync.Mutex
	revision  string
	stepStart time.Time
	requests  track
	durations track
	design    seqtest.Design
	evidence  seqtest.Evidence
}

// begin resets the state for a new release or a new step of r.
func (st *releaseState) begin(r Release) {
	if st.revision != r.Revision {
		st.revision, st.stepStart = r.Revision, r.StepStart
		st.requests, st.durations = track{}, track{}
		st.design, st.evidence = seqtest.Design{}, seqtest.Evidence{}
		return
	}
	if !st.stepStart.Equal(r.StepStart) {
		st.stepStart = r.StepStart
		st.requests.step = [2]counters{}
		st.durations.step = [2]counters{}
	}
}

// test folds a batch into the sequential test of design and returns the
// evidence. A changed design (an edited annotation) starts the test anew.
func (st *releaseState) test(d seqtest.Design, batch seqtest.Counts, ok bool) seqtest.Evidence {
	if st.design != d {
		st.design, st.evidence = d, seqtest.Evidence{}
	}
	if ok {
		st.evidence = d.Add(st.evidence, batch)
	}
	return st.evidence
}

// track follows one batch query for one release: the canary's and the
// primary's counters at the last evaluation, and their increase since the
// step began and since the release began (or, after a restart of the
// controller, since the step it restarted in began). Index 0 is the
// canary, 1 the primary.
type track struct {
	started bool
	prev    [2]counters
	step    [2]counters
	release [2]counters
}

// start sets the baseline.
func (t *track) start(base [2]counters) {
	t.started, t.prev = true, base
}

// advance moves the track to cur and returns the increase since the last
// evaluation; ok is false when a counter went down, and the batch is then
// dropped from both sides.
func (t *track) advance(cur [2]counters) (batch [2]counters, ok bool) {
	d0, ok0 := cur[0].since(t.prev[0])
	d1, ok1 := cur[1].since(t.prev[1])
	t.prev = cur
	if !ok0 || !ok1 {
		return batch, false
	}
	batch = [2]counters{d0, d1}
	t.step = [2]counters{t.step[0].plus(d0), t.step[1].plus(d1)}
	t.release = [2]counters{t.release[0].plus(d0), t.release[1].plus(d1)}
	return batch, true
}
