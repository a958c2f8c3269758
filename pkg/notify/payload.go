package notify

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/meshcanary/meshcanary/pkg/gates"
)

// payload is the JSON body of m for a receiver of kind k.
func payload(k Kind, m Message) ([]byte, error) {
	if k == Slack {
		return json.Marshal(slackPayload(m))
	}
	return json.Marshal(m)
}

// slackMessage is a Slack incoming-webhook message with one attachment.
type slackMessage struct {
	Text        string            `json:"text"`
	Attachments []slackAttachment `json:"attachments"`
}

type slackAttachment struct {
	Color  string       `json:"color"`
	Text   string       `json:"text"`
	Fields []slackField `json:"fields"`
	TS     int64        `json:"ts"`
}

type slackField struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// slackColors are the attachment colors of the milestones: Slack's good,
// warning and danger, and a neutral blue.
var slackColors = map[Milestone]string{
	Started:          "#439fe0",
	StepAdvanced:     "#439fe0",
	Held:             "warning",
	AwaitingApproval: "warning",
	RolledBack:       "danger",
	Promoted:         "good",
}

// slackTitles say the milestones in words.
var slackTitles = map[Milestone]string{
	Started:          "release started",
	StepAdvanced:     "step advanced",
	Held:             "release held",
	AwaitingApproval: "release awaits approval",
	RolledBack:       "release rolled back",
	Promoted:         "release promoted",
}

// slackPayload is m for Slack: a one-line summary, and the event's text,
// position and the gates that held or failed in a colored attachment.
func slackPayload(m Message) slackMessage {
	fields := []slackField{
		{Title: "Revision", Value: m.Revision, Short: true},
		{Title: "Step", Value: fmt.Sprintf("%d/%d at %s", m.Step, m.Steps, m.Weight), Short: true},
	}
	if len(m.Gates) > 0 {
		lines := make([]string, len(m.Gates))
		for i, g := range m.Gates {
			lines[i] = slackEscape(describe(g))
		}
		fields = append(fields, slackField{Title: "Gates", Value: strings.Join(lines, "\n")})
	}
	return slackMessage{
		Text: fmt.Sprintf("%s/%s: %s", m.Namespace, m.Deployment, slackTitles[m.Milestone]),
		Attachments: []slackAttachment{{
			Color: slackColors[m.Milestone], Text: slackEscape(m.Text), Fields: fields, TS: m.Time.Unix(),
		}},
	}
}

// slackEscape escapes the three characters Slack's message formatting
// reserves.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// describe says one verdict in words: "error-rate Fail: value 0.12,
// threshold 0.01 (reason)".
func describe(v gates.Verdict) string {
	var parts []string
	if v.Value != nil {
		parts = append(parts, fmt.Sprintf("value %g", *v.Value))
	}
	if v.Threshold != nil {
		parts = append(parts, fmt.Sprintf("threshold %g", *v.Threshold))
	}
	s := v.Gate + " " + string(v.Result)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	if v.Reason != "" {
		s += " (" + v.Reason + ")"
	}
	return s
}
