package controller

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// exhausted is a rate limiter with no token left: every request waits
// until its context ends.
type exhausted struct{}

func (exhausted) TryAccept() bool                { return false }
func (exhausted) Accept()                        { select {} }
func (exhausted) Stop()                          {}
func (exhausted) QPS() float32                   { return 0 }
func (exhausted) Wait(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

func TestEventsHaveABudgetOfTheirOwn(t *testing.T) {
	posted := make(chan string, 10)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/events") {
			posted <- r.URL.Path
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"Event","apiVersion":"v1","metadata":{"name":"e"}}`))
	}))
	defer server.Close()
	// The controller's client has spent its whole budget: Events must not
	// wait for it.
	cfg := &rest.Config{Host: server.URL, RateLimiter: exhausted{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	recorder, stop, err := NewEventRecorder(ctx, cfg, DefaultEventQPS, DefaultEventBurst)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	user := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "u1"}}
	recorder.Event(user, "Normal", "StepAdvanced", "step 1/5: canary weight 10%")
	select {
	case path := <-posted:
		if path != "/api/v1/namespaces/shop/events" {
			t.Errorf("the Event was posted to %s, want /api/v1/namespaces/shop/events", path)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no Event reached the apiserver while the controller's client had no budget left")
	}
}

func TestNewEventRecorderRefusesNoBudget(t *testing.T) {
	tests := map[string]struct {
		qps   float32
		burst int
	}{
		"a qps of 0":   {0, 10},
		"a burst of 0": {5, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := NewEventRecorder(context.Background(), &rest.Config{Host: "http://127.0.0.1:1"}, tc.qps, tc.burst)
			if err == nil || !strings.Contains(err.Error(), "must be above 0") {
				t.Errorf("NewEventRecorder(qps %v, burst %d) = %v, want an error saying both must be above 0", tc.qps, tc.burst, err)
			}
		})
	}
}

// TestEveryEventOfBackToBackReleasesIsRecorded records, on one Deployment,
// the Events of four releases of ten steps within a second, and wants every
// one to reach the apiserver as it was recorded: a new Event (POST), or a
// repeat folded into the same one with a count (PATCH), never dropped and
// never "combined from similar events". client-go's default correlator lets
// 25 through.
func TestEveryEventOfBackToBackReleasesIsRecorded(t *testing.T) {
	type sent struct{ method, body string }
	requests := make(chan sent, 100)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		requests <- sent{r.Method, string(body)}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"Event","apiVersion":"v1","metadata":{"name":"e","namespace":"shop"}}`))
	}))
	defer server.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	recorder, stop, err := NewEventRecorder(ctx, &rest.Config{Host: server.URL}, DefaultEventQPS, DefaultEventBurst)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	user := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", UID: "u1"}}
	var want []string
	for release := 1; release <= 4; release++ {
		messages := []string{fmt.Sprintf("release %d started", release)}
		for step := 1; step <= 10; step++ {
			messages = append(messages, fmt.Sprintf("step %d of 10: canary weight %d%%", step, 5*step))
		}
		messages = append(messages, "promoting", fmt.Sprintf("release %d succeeded", release))
		for _, m := range messages {
			recorder.Event(user, "Normal", "Release", m)
			want = append(want, m)
		}
	}
	var got []string
	for len(got) < len(want) {
		select {
		case r := <-requests:
			if strings.Contains(r.body, "combined from similar events") {
				t.Errorf("%s %s: an Event combined with others, want each as recorded", r.method, r.body)
			}
			got = append(got, r.method)
		case <-time.After(30 * time.Second):
			t.Fatalf("%d of the %d Events reached the apiserver, want every one", len(got), len(want))
		}
	}
	// New: the ten steps, "promoting", and each release's start and end.
	if posts, wantPosts := len(slices.DeleteFunc(got, func(m string) bool { return m != http.MethodPost })), 10+1+4*2; posts != wantPosts {
		t.Errorf("%d new Events, want %d (every other a repeat counted on its first)", posts, wantPosts)
	}
}
