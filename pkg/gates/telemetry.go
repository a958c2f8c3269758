package gates

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/common/model"

	"github.com/meshcanary/meshcanary/pkg/gates/promql"
	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// judging is one evaluation of one release: it reads each batch query at
// most once and hands the numbers to the judge functions.
type judging struct {
	e   *Evaluator
	ctx context.Context
	r   Release
	st  *releaseState

	requests, durations reading
	// batch is this evaluation's increase of the request counters, for
	// the sequential test; ok is false when there is none.
	batch   seqtest.Counts
	batchOK bool
}

// reading is the outcome of advancing one track in this evaluation.
type reading struct {
	done bool
	err  error
}

// Query kinds, the label of the query duration metric.
const (
	queryRequests  = "requests"
	queryDurations = "durations"
	queryCPU       = "cpu"
	queryMemory    = "memory"
	queryCustom    = "query"
	queryBaseline  = "baseline"
)

func (j *judging) verdict(s Spec) Verdict {
	switch s.Kind {
	case KindErrorRate, KindErrorRatio:
		if err := j.read(&j.requests, &j.st.requests, queryRequests, promql.Requests(j.r.Namespace), labelCode, labelGRPCStatus); err != nil {
			return hold(s, err)
		}
		step, _ := j.st.requests.step[0].requests()
		st := stage{moreSteps: j.r.MoreSteps, lastCall: j.r.LastCall, stepRequests: step}
		if s.Kind == KindErrorRate {
			requests, errors := j.st.requests.release[0].requests()
			return judgeErrorRate(s, rateSample{requests: requests, events: errors}, st)
		}
		return judgeErrorRatio(s, j.st.test(s.Test, j.batch, j.batchOK), st)
	case KindLatency:
		if err := j.read(&j.durations, &j.st.durations, queryDurations, promql.Durations(j.r.Namespace), labelLE); err != nil {
			return hold(s, err)
		}
		st := stage{moreSteps: j.r.MoreSteps, lastCall: j.r.LastCall, stepRequests: histogram(j.st.durations.step[0]).count()}
		return judgeLatency(s, histogram(j.st.durations.release[0]), histogram(j.st.durations.release[1]), st)
	case KindCPU:
		return j.resource(s, queryCPU, promql.CPU(j.r.Namespace, j.e.opts.ResourceWindow), cores)
	case KindMemory:
		return j.resource(s, queryMemory, promql.Memory(j.r.Namespace), mebibytes)
	case KindQuery:
		return j.query(s)
	}
	return j.e.webhooks.call(j.ctx, s, j.r)
}

// hold is the verdict of a gate that could not measure.
func hold(s Spec, err error) Verdict {
	return Verdict{Gate: s.Name, Result: Hold, Reason: err.Error()}
}

// read advances a track with the current answer of its batch query, once
// per evaluation. The first time a release is seen the baseline is the
// answer at the step's start, so that a restarted controller still counts
// the whole step. A batch in which a counter went down is dropped.
func (j *judging) read(rd *reading, t *track, kind, q string, keys ...model.LabelName) error {
	if rd.done {
		return rd.err
	}
	rd.done = true
	if !t.started {
		rd.err = j.baseline(t, kind, q, keys)
		if rd.err != nil {
			return rd.err
		}
	}
	cur, err := j.pair(kind, q, time.Time{}, keys)
	if err != nil {
		rd.err = err
		return err
	}
	batch, ok := t.advance(cur)
	if ok && kind == queryRequests {
		j.batch, j.batchOK = comparison(batch[0], batch[1]), true
	}
	return nil
}

// baseline starts a track from the counters at the step's start, or from
// now when the step has not started in the past.
func (j *judging) baseline(t *track, kind, q string, keys []model.LabelName) error {
	if j.r.StepStart.IsZero() || !j.r.StepStart.Before(j.r.Now) {
		cur, err := j.pair(kind, q, time.Time{}, keys)
		if err != nil {
			return err
		}
		t.start(cur)
		return nil
	}
	base, err := j.pair(queryBaseline, q, j.r.StepStart, keys)
	if err != nil {
		return fmt.Errorf("baseline at step start: %w", err)
	}
	t.start(base)
	return j.earlierSteps(t, q, base, keys)
}

// earlierSteps gives a track first seen after its release's first step
// (a restarted controller) the increase of the earlier steps, so that the
// one-sample tests judge the whole release as if the controller had never
// stopped. The ratio test's batches still start at the step's start.
func (j *judging) earlierSteps(t *track, q string, stepBase [2]counters, keys []model.LabelName) error {
	if j.r.ReleaseStart.IsZero() || !j.r.ReleaseStart.Before(j.r.StepStart) {
		return nil
	}
	base, err := j.pair(queryBaseline, q, j.r.ReleaseStart, keys)
	if err != nil {
		return fmt.Errorf("baseline at release start: %w", err)
	}
	d0, ok0 := stepBase[0].since(base[0])
	d1, ok1 := stepBase[1].since(base[1])
	if ok0 && ok1 {
		t.release = [2]counters{d0, d1}
	}
	return nil
}

// pair runs a batch query and picks the canary's and the primary's
// counters out of it.
func (j *judging) pair(kind, q string, at time.Time, keys []model.LabelName) ([2]counters, error) {
	snap, err := j.e.src.snapshot(j.ctx, kind, q, at, keys...)
	if err != nil {
		return [2]counters{}, err
	}
	return [2]counters{snap[j.r.Deployment], snap[j.r.Primary]}, nil
}

func (j *judging) resource(s Spec, kind, q string, unit func(float64) string) Verdict {
	use, err := j.e.src.pods(j.ctx, kind, q)
	if err != nil {
		return hold(s, err)
	}
	return judgeResource(s, use[j.r.Deployment], use[j.r.Primary], unit)
}

// query evaluates a query gate with the release's values.
func (j *judging) query(s Spec) Verdict {
	window := max(j.r.Now.Sub(j.r.StepStart).Round(time.Second), j.e.opts.MinWindow)
	q := s.Condition.Query.Expand(promql.Values{
		Namespace: j.r.Namespace, Canary: j.r.Deployment, Primary: j.r.Primary, Service: j.r.Service, Window: window,
	})
	if err := promql.Validate(q); err != nil { // cannot happen for a parsed template; kept as a guard
		return hold(s, fmt.Errorf("expanded query does not parse: %w", err))
	}
	val, err := j.e.src.query(j.ctx, q)
	if err != nil {
		return hold(s, err)
	}
	switch v := val.(type) {
	case *model.Scalar:
		return judgeQuery(s, float64(v.Value))
	case model.Vector:
		if len(v) != 1 {
			return Verdict{Gate: s.Name, Result: Hold, Reason: fmt.Sprintf("the query returned %d series; a gate needs exactly one (aggregate with sum, max, ...)", len(v))}
		}
		return judgeQuery(s, float64(v[0].Value))
	}
	return Verdict{Gate: s.Name, Result: Hold, Reason: fmt.Sprintf("the query returned a %s; a gate needs a scalar or an instant vector", val.Type())}
}
