package notify

import (
	"github.com/meshcanary/meshcanary/internal/golden"

	"bytes"
	"encoding/json"
	"testing"

	"github.com/meshcanary/meshcanary/pkg/gates"
)

// rolledBack is a rollback message with a failing gate.
func rolledBack() Message {
	value, threshold := 0.12, 0.01
	m := msg(RolledBack, "2 failed checks (maximum 2) at step 2/3: error-rate value 0.12 threshold 0.01: 5xx ratio")
	m.Step, m.Steps, m.Weight, m.Reason = 2, 3, "0%", "TooManyFailedChecks"
	m.Gates = []gates.Verdict{{Gate: "error-rate", Result: gates.Fail, Value: &value, Threshold: &threshold, Reason: "5xx ratio"}}
	return m
}

func TestPayloadsMatchGoldenFiles(t *testing.T) {
	promoted := msg(Promoted, "revision 7c9f promoted")
	promoted.Step, promoted.Steps, promoted.Weight, promoted.Reason = 3, 3, "0%", "Promoted"
	tests := map[string]struct {
		kind   Kind
		msg    Message
		golden string
	}{
		"a webhook gets the message as JSON":                                   {kind: Webhook, msg: rolledBack(), golden: "webhook-rolled-back"},
		"Slack gets a summary and a danger attachment naming the failing gate": {kind: Slack, msg: rolledBack(), golden: "slack-rolled-back"},
		"Slack gets a good attachment for a promotion":                         {kind: Slack, msg: promoted, golden: "slack-promoted"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			body, err := payload(tc.kind, tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, body, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteString("\n")
			golden.Check(t, tc.golden+".golden.json", pretty.String())
		})
	}
}

func TestASlackReceiverGetsTheSlackShape(t *testing.T) {
	rec := newRecorder(t)
	n, _ := started(t, Options{Receivers: []Spec{{Name: "team", Kind: Slack, URLFile: urlFile(t, rec.srv.URL)}}})
	n.Notify([]string{"team"}, rolledBack())
	rec.await(t, 1)
	var got struct {
		Text        string `json:"text"`
		Attachments []struct {
			Color  string `json:"color"`
			Fields []struct{ Title, Value string }
		} `json:"attachments"`
	}
	if err := json.Unmarshal(rec.received()[0].body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Text != "shop/web: release rolled back" || len(got.Attachments) != 1 || got.Attachments[0].Color != "danger" {
		t.Errorf("Slack payload = %+v, want the summary and one danger attachment", got)
	}
	if fields := got.Attachments[0].Fields; len(fields) != 3 || fields[2].Value != "error-rate Fail: value 0.12, threshold 0.01 (5xx ratio)" {
		t.Errorf("Slack fields = %+v, want revision, step and the failing gate", fields)
	}
}
