package notify

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Kind is the kind of receiver, which decides the payload.
type Kind string

// The kinds of receivers.
const (
	// Webhook receives a Message as JSON.
	Webhook Kind = "webhook"
	// Slack receives a Slack incoming-webhook payload ({"text": ...,
	// "attachments": [...]}), which Mattermost, Rocket.Chat and others
	// accept too.
	Slack Kind = "slack"
)

// Spec configures one receiver. Its URL, which usually holds a token, is
// read from a file (re-read at every send, so a rotated Secret is picked
// up) or from an environment variable; never from a flag value or an
// annotation.
type Spec struct {
	// Name is what Deployments select the receiver by.
	Name string
	Kind Kind
	// Exactly one of URLFile and URLEnv is set.
	URLFile, URLEnv string
}

// validSpec says what a valid --notify-receiver value is.
const validSpec = `NAME=KIND,url-file=PATH or NAME=KIND,url-env=VARIABLE, NAME a DNS-1123 label and KIND "webhook" or "slack", ` +
	`e.g. "team-slack=slack,url-file=/etc/meshcanary/slack/url"`

// ParseSpec parses a receiver written as NAME=KIND,url-file=PATH or
// NAME=KIND,url-env=VARIABLE. Its error names the receiver but does not
// repeat the value, which might hold a URL with a token.
func ParseSpec(v string) (Spec, error) {
	name, rest, _ := strings.Cut(strings.TrimSpace(v), "=")
	parts := strings.Split(rest, ",")
	s := Spec{Name: name, Kind: Kind(parts[0])}
	if len(validation.IsDNS1123Label(name)) > 0 || (s.Kind != Webhook && s.Kind != Slack) || len(parts) != 2 {
		return Spec{}, fmt.Errorf("notification receiver %q: want %s", name, validSpec)
	}
	key, value, _ := strings.Cut(parts[1], "=")
	switch {
	case key == "url-file" && value != "":
		s.URLFile = value
	case key == "url-env" && value != "":
		s.URLEnv = value
	default:
		return Spec{}, fmt.Errorf("notification receiver %q: want %s", name, validSpec)
	}
	return s, nil
}

// url reads the receiver's URL and checks that it is an absolute http or
// https URL. Errors never include the URL: it is a secret.
func (s Spec) url(lookupEnv func(string) (string, bool)) (string, error) {
	var raw string
	if s.URLFile != "" {
		data, err := os.ReadFile(s.URLFile)
		if err != nil {
			return "", fmt.Errorf("reading the URL of receiver %s: %w", s.Name, err)
		}
		raw = string(data)
	} else {
		v, ok := lookupEnv(s.URLEnv)
		if !ok {
			return "", fmt.Errorf("the URL of receiver %s: environment variable %s is not set", s.Name, s.URLEnv)
		}
		raw = v
	}
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("the URL of receiver %s: %w", s.Name, errNotHTTPURL)
	}
	return raw, nil
}

// errNotHTTPURL is wrapped when a receiver's URL is not an absolute http or
// https URL.
var errNotHTTPURL = errors.New("not an absolute http or https URL")
