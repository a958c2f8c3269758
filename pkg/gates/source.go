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

// query runs an instant query at the given time (zero: Prometheus's now),
// shared with every caller asking the same within the cache's TTL. kind
// labels the query duration metric.
func (s *source) query(ctx context.Context, kind, q string, at time.Time) (model.Value, error) {
	if s.api == nil {
		return nil, errNoPrometheus
	}
	key := q
	if !at.IsZero() {
		key += "@" + strconv.FormatInt(at.UnixMilli(), 10)
	}
	return s.cache.get(ctx, key, func() (model.Value, error) {
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
		return val, nil
	})
}

// vector runs a query that must answer an instant vector.
func (s *source) vector(ctx context.Context, kind, q string, at time.Time) (model.Vector, error) {
	val, err := s.query(ctx, kind, q, at)
	if err != nil {
		return nil, err
	}
	vec, ok := val.(model.Vector)
	if !ok {
		return nil, fmt.Errorf("prometheus answered a %s, expected a vector", val.Type())
	}
	return vec, nil
}
