//go:build e2e

package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
)

func checkPrometheusScrapes(t *testing.T, c *Cluster, _ kubernetes.Interface) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, "# TYPE e2e_probe_total counter\ne2e_probe_total 42\n")
	}))
	defer target.Close()
	if err := c.Scrape("probe", strings.TrimPrefix(target.URL, "http://")); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	Eventually(t, 30*time.Second, "the probe's sample in Prometheus", func(context.Context) error {
		got, err := queryPrometheus(c.PrometheusURL, `e2e_probe_total{job="probe"}`)
		if err != nil {
			return err
		}
		if got != "42" {
			return fmt.Errorf("e2e_probe_total = %q, want 42", got)
		}
		return nil
	})
	t.Logf("first sample queryable %s after the target was added", time.Since(began).Round(time.Millisecond))
	if err := c.Scrape("probe"); err != nil {
		t.Fatal(err)
	}
}

// queryPrometheus runs an instant query and returns the value of its only sample.
func queryPrometheus(base, query string) (string, error) {
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Value [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("decode query response: %w", err)
	}
	if body.Status != "success" {
		return "", fmt.Errorf("query %s: %s", query, body.Error)
	}
	if len(body.Data.Result) != 1 {
		return "", fmt.Errorf("query %s: %d samples, want 1", query, len(body.Data.Result))
	}
	value, _ := body.Data.Result[0].Value[1].(string)
	return value, nil
}
