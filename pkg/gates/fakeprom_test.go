package gates

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// sample is one series of a canned answer.
type sample struct {
	labels map[string]string
	value  float64
}

// fakePrometheus serves Prometheus's instant-query API from canned answers
// keyed by the exact query text, so a test fails on any query other than
// the one it expects, and it records what it was asked.
type fakePrometheus struct {
	mu       sync.Mutex
	answers  map[string]func(at time.Time) []sample
	scalars  map[string]float64
	received []string // "query" or "query @ unix seconds"
	delay    time.Duration
	status   int // answer this HTTP status with an error body, 0: answer
	srv      *httptest.Server
}

func newFakePrometheus(t *testing.T) *fakePrometheus {
	f := &fakePrometheus{answers: map[string]func(time.Time) []sample{}, scalars: map[string]float64{}}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

// answer sets the answer of query: the same at every time.
func (f *fakePrometheus) answer(query string, samples ...sample) {
	f.answerAt(query, func(time.Time) []sample { return samples })
}

func (f *fakePrometheus) answerAt(query string, fn func(at time.Time) []sample) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[query] = fn
}

// queries returns and clears what was asked.
func (f *fakePrometheus) queries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.received
	f.received = nil
	return q
}

func (f *fakePrometheus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.URL.Path != "/api/v1/query" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	q, ts := r.Form.Get("query"), r.Form.Get("time")
	var at time.Time
	key := q
	if ts != "" {
		sec, _ := strconv.ParseFloat(ts, 64)
		at = time.Unix(0, int64(sec*1e9)).UTC()
		key += " @ " + strconv.FormatInt(at.Unix(), 10)
	}
	f.mu.Lock()
	f.received = append(f.received, key)
	fn, vec := f.answers[q]
	sc, scalar := f.scalars[q]
	delay, status := f.delay, f.status
	f.mu.Unlock()
	time.Sleep(delay)
	w.Header().Set("Content-Type", "application/json")
	switch {
	case status != 0:
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "error", "errorType": "internal", "error": "injected failure"})
	case scalar:
		writeData(w, "scalar", []any{1, strconv.FormatFloat(sc, 'f', -1, 64)})
	case vec:
		result := []map[string]any{}
		for _, s := range fn(at) {
			result = append(result, map[string]any{"metric": s.labels, "value": []any{1, strconv.FormatFloat(s.value, 'f', -1, 64)}})
		}
		writeData(w, "vector", result)
	default:
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "error", "errorType": "bad_data", "error": "unexpected query " + q})
	}
}

func writeData(w http.ResponseWriter, typ string, result any) {
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": typ, "result": result}})
}

// reqSeries is an istio_requests_total answer series.
func reqSeries(workload, code string, v float64) sample {
	return sample{map[string]string{labelWorkload: workload, labelCode: code, labelGRPCStatus: ""}, v}
}

// bucketSeries is a duration bucket answer series.
func bucketSeries(workload, le string, v float64) sample {
	return sample{map[string]string{labelWorkload: workload, labelLE: le}, v}
}

// podSeries is a per-pod cAdvisor answer series.
func podSeries(pod string, v float64) sample {
	return sample{map[string]string{labelPod: pod}, v}
}

// itoa formats a Unix time as the fake records it.
func itoa(i int64) string { return strconv.FormatInt(i, 10) }
