package gates

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"
	"k8s.io/utils/clock"
)

// errNoPrometheus is the reason of telemetry gates when the controller has
// no Prometheus address.
var errNoPrometheus = errors.New("no Prometheus address configured (controller flag --prometheus-url)")

// source reads Prometheus through the cache.
type source struct {
	api     v1.API // nil without a Prometheus address
	cache   *cache
	timeout time.Duration
	clock   clock.PassiveClock
	metrics *metrics
	log     *zap.Logger
}

// fetch runs an instant query at the given time (zero: Prometheus's now)
// and derives a value from the answer, once for every caller asking the
// same within the cache's TTL. kind labels the query duration metric.
func (s *source) fetch(ctx context.Context, kind, q string, at time.Time, derive func(model.Value) (any, error)) (any, error) {
	if s.api == nil {
		return nil, errNoPrometheus
	}
	key := kind + "|" + q
	if !at.IsZero() {
		key += "@" + strconv.FormatInt(at.UnixMilli(), 10)
	}
	return s.cache.get(ctx, key, func() (any, error) {
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		start := s.clock.Now()
		val, warnings, err := s.api.Query(qctx, q, at)
		s.metrics.queryDuration.WithLabelValues(kind).Observe(s.clock.Since(start).Seconds())
		if err != nil {
			s.log.Info("prometheus query failed", zap.String("query", q), zap.Error(err))
			return nil, fmt.Errorf("prometheus query failed: %w", err)
		}
		if len(warnings) > 0 {
			s.log.Debug("prometheus query warnings", zap.String("query", q), zap.Strings("warnings", warnings))
		}
		return derive(val)
	})
}

// query runs a query gate's query.
func (s *source) query(ctx context.Context, q string) (model.Value, error) {
	val, err := s.fetch(ctx, queryCustom, q, time.Time{}, func(v model.Value) (any, error) { return v, nil })
	if err != nil {
		return nil, err
	}
	return val.(model.Value), nil
}

// snapshot runs a batch query of cumulative counters and splits the
// answer by workload, keying series by the given labels.
func (s *source) snapshot(ctx context.Context, kind, q string, at time.Time, keys ...model.LabelName) (snapshot, error) {
	val, err := s.fetch(ctx, kind, q, at, func(v model.Value) (any, error) {
		vec, err := asVector(v)
		if err != nil {
			return nil, err
		}
		return snapshotOf(vec, keys...), nil
	})
	if err != nil {
		return nil, err
	}
	return val.(snapshot), nil
}

// pods runs a batch query of per-pod values and sums them by the
// Deployment that owns each pod.
func (s *source) pods(ctx context.Context, kind, q string) (map[string]podUse, error) {
	val, err := s.fetch(ctx, kind, q, time.Time{}, func(v model.Value) (any, error) {
		vec, err := asVector(v)
		if err != nil {
			return nil, err
		}
		return usageByDeployment(vec), nil
	})
	if err != nil {
		return nil, err
	}
	return val.(map[string]podUse), nil
}

func asVector(v model.Value) (model.Vector, error) {
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("prometheus answered a %s, expected a vector", v.Type())
	}
	return vec, nil
}
