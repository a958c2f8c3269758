package notify

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAReceiverGetsEveryMessageOfAReleaseInOrder(t *testing.T) {
	rec := newRecorder(t)
	n, _ := started(t, Options{Workers: 4, Receivers: []Spec{{Name: "audit", Kind: Webhook, URLFile: urlFile(t, rec.srv.URL)}}})
	var want []Message
	for i, m := range []Milestone{Started, StepAdvanced, StepAdvanced, Held, StepAdvanced, Promoted} {
		want = append(want, msg(m, strings.Repeat("x", i)))
	}
	for _, m := range want {
		n.Notify([]string{"audit"}, m)
	}
	rec.await(t, len(want))
	if diff := cmp.Diff(want, rec.messages(t)); diff != "" {
		t.Errorf("received messages (-want +got):\n%s", diff)
	}
	for _, r := range rec.received() {
		if r.contentType != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", r.contentType)
		}
	}
	awaitCount(t, n, "audit", resultSent, len(want))
}

func TestAReceiverThatIsDownIsRetriedWithExponentialBackoffAndKeepsItsOrder(t *testing.T) {
	const backoff = 20 * time.Millisecond
	rec := newRecorder(t, http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusTooManyRequests)
	n, _ := started(t, Options{Backoff: backoff, MaxBackoff: time.Second,
		Receivers: []Spec{{Name: "ops", Kind: Webhook, URLFile: urlFile(t, rec.srv.URL)}}})
	n.Notify([]string{"ops"}, msg(Started, "first"), msg(Promoted, "second"))
	rec.await(t, 5)

	got := rec.received()
	for i, wait := range []time.Duration{backoff, 2 * backoff, 4 * backoff} {
		if gap := got[i+1].at.Sub(got[i].at); gap < wait {
			t.Errorf("retry %d came %s after attempt %d, want at least %s", i+1, gap, i+1, wait)
		}
	}
	var texts []string
	for _, m := range rec.messages(t) {
		texts = append(texts, m.Text)
	}
	if diff := cmp.Diff([]string{"first", "first", "first", "first", "second"}, texts); diff != "" {
		t.Errorf("messages in arrival order (-want +got):\n%s", diff)
	}
	awaitCount(t, n, "ops", resultSent, 2)
	awaitCount(t, n, "ops", resultRetried, 3)
}

func TestAMessageIsGivenUpAfterItsLastAttemptOrARejection(t *testing.T) {
	tests := map[string]struct {
		script       []int
		wantAttempts int
	}{
		"a receiver that keeps failing is tried MaxAttempts times": {
			script: []int{500, 500, 500}, wantAttempts: 3,
		},
		"a bad request is not retried": {
			script: []int{http.StatusBadRequest}, wantAttempts: 1,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder(t, tc.script...)
			n, _ := started(t, Options{MaxAttempts: 3, Backoff: time.Millisecond,
				Receivers: []Spec{{Name: "ops", Kind: Webhook, URLFile: urlFile(t, rec.srv.URL)}}})
			n.Notify([]string{"ops"}, msg(RolledBack, "lost"), msg(Started, "next"))
			rec.await(t, tc.wantAttempts+1)
			msgs := rec.messages(t)
			if last := msgs[len(msgs)-1]; last.Text != "next" || len(msgs) != tc.wantAttempts+1 {
				t.Errorf("received %d requests ending with %q, want %d attempts then \"next\"", len(msgs), last.Text, tc.wantAttempts)
			}
			awaitCount(t, n, "ops", resultSent, 1)
			awaitCount(t, n, "ops", resultFailed, 1)
		})
	}
}

func TestAFullQueueDropsWithoutBlockingAndCountsIt(t *testing.T) {
	rec := newRecorder(t)
	spec := func(name string) Spec { return Spec{Name: name, Kind: Webhook, URLFile: urlFile(t, rec.srv.URL)} }
	// No worker runs yet, so nothing leaves the queue: each of the two
	// receivers has a share of 2.
	n, _ := newNotifier(t, Options{QueueSize: 4, Receivers: []Spec{spec("a"), spec("b")}})
	for i := range 5 {
		n.Notify([]string{"a"}, msg(StepAdvanced, string(rune('1'+i))))
	}
	n.Notify([]string{"b"}, msg(Started, "b1"))
	if d := count(n, "a", resultDropped); d != 3 {
		t.Errorf("dropped for a = %d, want 3", d)
	}
	if d := count(n, "b", resultDropped); d != 0 {
		t.Errorf("dropped for b = %d, want 0: a full share of a must not take b's", d)
	}

	stop := make(chan struct{})
	go runUntil(n, stop)
	defer close(stop)
	rec.await(t, 3)
	var texts []string
	for _, m := range rec.messages(t) {
		texts = append(texts, m.Text)
	}
	slices.Sort(texts)
	if diff := cmp.Diff([]string{"1", "2", "b1"}, texts); diff != "" {
		t.Errorf("messages sent once workers ran (-want +got):\n%s", diff)
	}
}

func TestAQueuedMessageIsSentOnceWorkersRun(t *testing.T) {
	rec := newRecorder(t)
	n, _ := newNotifier(t, Options{Receivers: []Spec{{Name: "a", Kind: Webhook, URLFile: urlFile(t, rec.srv.URL)}}})
	n.Notify([]string{"a", "not-configured"}, msg(Started, "queued before Run"))
	stop := make(chan struct{})
	go runUntil(n, stop)
	defer close(stop)
	rec.await(t, 1)
	if got := rec.messages(t)[0].Text; got != "queued before Run" {
		t.Errorf("received %q", got)
	}
}
