//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/notify"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// The shared controller posts milestones to the generic webhook receiver
// notifyReceiverName, whose URL it reads from the environment variable
// notifyURLEnv, as an operator's Secret would provide it.
const (
	notifyReceiverName = "e2e"
	notifyURLEnv       = "MESHCANARY_E2E_NOTIFY_URL"
)

// notifyReceiver is a generic JSON webhook on loopback that keeps every
// message it is posted, in the order they arrive.
type notifyReceiver struct {
	server *httptest.Server

	mu       sync.Mutex
	messages []notify.Message
	invalid  []string // bodies that are not a Message
}

// startNotifyReceiver starts the receiver.
func startNotifyReceiver() *notifyReceiver {
	r := &notifyReceiver{}
	r.server = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

func (r *notifyReceiver) serve(w http.ResponseWriter, req *http.Request) {
	var m notify.Message
	err := json.NewDecoder(req.Body).Decode(&m)
	r.mu.Lock()
	if err != nil {
		r.invalid = append(r.invalid, fmt.Sprintf("%s %s: %v", req.Method, req.URL, err))
	} else {
		r.messages = append(r.messages, m)
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// URL is where the controller posts.
func (r *notifyReceiver) URL() string { return r.server.URL }

func (r *notifyReceiver) close() { r.server.Close() }

// of returns the messages received so far about the app of namespace ns,
// and every body that could not be read as a message.
func (r *notifyReceiver) of(ns string) ([]notify.Message, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []notify.Message
	for _, m := range r.messages {
		if m.Namespace == ns {
			out = append(out, m)
		}
	}
	return out, slices.Clone(r.invalid)
}

// TestNotificationsArriveInOrder releases a Deployment that selects the
// controller's webhook receiver: the receiver gets the release's milestones
// in order (started, each step, promoted), each naming the Deployment, the
// revision and the step reached.
func TestNotificationsArriveInOrder(t *testing.T) {
	t.Parallel()
	a := newApp(t, "notify").Steps("20,50").StepInterval("6s").
		Set(notify.KeyReceivers, notifyReceiverName).Create()
	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)

	var got []notify.Message
	a.eventually("the promoted message at the receiver", func() error {
		msgs, invalid := env.notify.of(a.ns)
		if len(invalid) > 0 {
			t.Fatalf("the receiver got bodies that are not messages: %q", invalid)
		}
		got = msgs
		if len(msgs) == 0 || msgs[len(msgs)-1].Milestone != notify.Promoted {
			return fmt.Errorf("%d messages so far, the last not %s", len(msgs), notify.Promoted)
		}
		return nil
	})

	want := []string{
		"started step 0/2 at 0%",
		"step-advanced step 1/2 at 20%",
		"step-advanced step 2/2 at 50%",
		"promoted step 2/2 at 0%", // all traffic on the promoted primary
	}
	if diff := cmp.Diff(want, describeMessages(got)); diff != "" {
		t.Errorf("milestones received, in order (-want +got):\n%s", diff)
	}
	for i, m := range got {
		if m.Deployment != appName || m.Revision != rev || m.Reason == "" || m.Text == "" || m.Time.IsZero() {
			t.Errorf("message %d names deployment %q revision %q reason %q text %q at %s; want %s, %s, a reason, a text and a time",
				i, m.Deployment, m.Revision, m.Reason, m.Text, m.Time, appName, rev)
		}
		if i > 0 && m.Time.Before(got[i-1].Time) {
			t.Errorf("message %d (%s at %s) is older than the one before it (%s at %s)",
				i, m.Milestone, m.Time, got[i-1].Milestone, got[i-1].Time)
		}
	}
}

// describeMessages writes each message as "milestone step i/n at weight".
func describeMessages(msgs []notify.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = fmt.Sprintf("%s step %d/%d at %s", m.Milestone, m.Step, m.Steps, m.Weight)
	}
	return out
}

// checkNoNotifications fails the test if the receiver got a message about
// the app (it does not select the receiver).
func (a *app) checkNoNotifications() {
	a.t.Helper()
	if msgs, _ := env.notify.of(a.ns); len(msgs) > 0 {
		a.t.Errorf("the receiver got %d messages about %s, which selects no receiver: %q", len(msgs), a.ns, describeMessages(msgs))
	}
}
