//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/grafana"
)

// TestDashboardQueriesReturnDataDuringARelease evaluates every PromQL
// expression of the Grafana dashboard shipped in the chart against the real
// Prometheus (which scrapes the simulator and the controller), with the
// dashboard's variables set to the test's canary, from the start of a
// release with gates until shortly after its end, and requires each to have
// returned data at some point: rates over a minute and per-release gauges
// only have data while a release runs.
func TestDashboardQueriesReturnDataDuringARelease(t *testing.T) {
	t.Parallel()
	a := newApp(t, "dashboard").
		Set("gate.error-rate", "max=50%").
		Set("gate.latency", "p99<5s").
		Set("gate.min-requests", "5").
		Create()

	queries, err := grafana.Load()
	if err != nil {
		t.Fatal(err)
	}
	client, err := promapi.NewClient(promapi.Config{Address: env.cluster.PrometheusURL})
	if err != nil {
		t.Fatal(err)
	}
	api := promv1.NewAPI(client)
	values := map[string]string{
		"namespace": a.ns, "deployment": appName,
		"__rate_interval": "1m", "__interval": "15s", "__range": "10m",
	}
	seen := make([]bool, len(queries))
	// poll evaluates the queries that have not returned data yet; an
	// expression Prometheus refuses is an error at once.
	poll := func() (missing []string, err error) {
		for i, q := range queries {
			if seen[i] {
				continue
			}
			expr := grafana.Expand(q.Expr, values)
			if left := grafana.Unexpanded(expr); len(left) > 0 {
				return nil, fmt.Errorf("panel %q: variables %v not expanded", q.Panel, left)
			}
			n, err := samples(api, expr)
			if err != nil {
				return nil, fmt.Errorf("panel %q: %s: %w", q.Panel, expr, err)
			}
			if seen[i] = n > 0; !seen[i] {
				missing = append(missing, fmt.Sprintf("%s (%s)", q.Panel, expr))
			}
		}
		return missing, nil
	}

	rev := a.SetImage("web:v2")
	stop, polled := make(chan struct{}), make(chan error, 1)
	go func() {
		for {
			if _, err := poll(); err != nil {
				polled <- err
				return
			}
			select {
			case <-stop:
				polled <- nil
				return
			case <-time.After(time.Second):
			}
		}
	}()
	a.waitPhase(rev, stepper.PhaseSucceeded)
	close(stop)
	if err := <-polled; err != nil {
		t.Fatal(err)
	}
	a.eventually("every dashboard query to have returned data", func() error {
		missing, err := poll()
		if err == nil && len(missing) > 0 {
			err = errors.New("no data for: " + strings.Join(missing, "; "))
		}
		return err
	})
}

// samples evaluates expr now and counts the series (or the scalar) it
// returns; NaN values (a quantile of no observations) do not count.
func samples(api promv1.API, expr string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, _, err := api.Query(ctx, expr, time.Now())
	if err != nil {
		return 0, err
	}
	n := 0
	switch v := v.(type) {
	case model.Vector:
		for _, s := range v {
			if !math.IsNaN(float64(s.Value)) {
				n++
			}
		}
	case *model.Scalar:
		n = 1
	}
	return n, nil
}
