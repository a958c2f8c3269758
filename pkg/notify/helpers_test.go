package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// waitFor bounds every wait of the tests for something a worker does; it
// only turns a hang into a failure.
const waitFor = 10 * time.Second

// request is one request a recorder received.
type request struct {
	at          time.Time
	contentType string
	body        []byte
}

// recorder is a receiver that records every request in order and answers
// with the next status of its script (200 once the script is used up).
type recorder struct {
	srv      *httptest.Server
	mu       sync.Mutex
	script   []int
	requests []request
	arrived  chan struct{}
}

func newRecorder(t *testing.T, script ...int) *recorder {
	r := &recorder{script: script, arrived: make(chan struct{}, 1000)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, request{at: time.Now(), contentType: req.Header.Get("Content-Type"), body: body})
		code := http.StatusOK
		if len(r.script) > 0 {
			code, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(code)
		r.arrived <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// await waits for n more requests.
func (r *recorder) await(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		select {
		case <-r.arrived:
		case <-time.After(waitFor):
			t.Fatalf("receiver got %d of %d requests", i, n)
		}
	}
}

func (r *recorder) received() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.requests...)
}

// messages decodes the webhook requests received.
func (r *recorder) messages(t *testing.T) []Message {
	t.Helper()
	var out []Message
	for _, req := range r.received() {
		var m Message
		if err := json.Unmarshal(req.body, &m); err != nil {
			t.Fatalf("decoding %s: %v", req.body, err)
		}
		out = append(out, m)
	}
	return out
}

// urlFile writes url to a file and returns its path.
func urlFile(t *testing.T, url string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "url")
	if err := os.WriteFile(path, []byte(url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// started runs a Notifier with opts and a fresh registry until the test ends.
func started(t *testing.T, opts Options) (*Notifier, *prometheus.Registry) {
	t.Helper()
	n, reg := newNotifier(t, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return n, reg
}

func newNotifier(t *testing.T, opts Options) (*Notifier, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	n, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n, reg
}

// count is meshcanary_notifications_total for receiver and result.
func count(n *Notifier, receiver, result string) int {
	return int(testutil.ToFloat64(n.counter.WithLabelValues(receiver, result)))
}

// msg is a message of the test release with a text.
func msg(m Milestone, text string) Message {
	return Message{Milestone: m, Namespace: "shop", Deployment: "web", Revision: "7c9f", Text: text,
		Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

// runUntil runs n until stop is closed.
func runUntil(n *Notifier, stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-stop; cancel() }()
	n.Run(ctx)
}

// awaitCount waits until meshcanary_notifications_total for receiver and
// result reaches want: a worker counts a send only after the receiver
// answered.
func awaitCount(t *testing.T, n *Notifier, receiver, result string, want int) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for count(n, receiver, result) < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := count(n, receiver, result); got != want {
		t.Errorf("%s for %s = %d, want %d", result, receiver, got, want)
	}
}
