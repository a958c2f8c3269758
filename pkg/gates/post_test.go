package gates

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// answeringServer answers every request, after delay, with status and
// body; a 302 points at the cloud metadata address, which no webhook gate
// or hook may follow. It closes at the end of the test.
func answeringServer(t *testing.T, status int, body string, delay time.Duration) *httptest.Server {
	t.Helper()
	return testServer(t, func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(delay)
		if status == http.StatusFound {
			w.Header().Set("Location", "http://169.254.169.254/")
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

// testServer serves handler until the end of the test.
func testServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// allowingEvaluator returns an Evaluator whose webhook gates and hooks may
// call the URLs under allow.
func allowingEvaluator(t *testing.T, allow string) *Evaluator {
	t.Helper()
	e, err := NewEvaluator(Options{WebhookAllow: []string{allow}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
