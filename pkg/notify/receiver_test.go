package notify

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/config"
)

func TestParseSpec(t *testing.T) {
	tests := map[string]struct {
		flag    string
		want    Spec
		wantErr bool
	}{
		"a Slack receiver with its URL in a file": {
			flag: "team-slack=slack,url-file=/etc/meshcanary/slack/url",
			want: Spec{Name: "team-slack", Kind: Slack, URLFile: "/etc/meshcanary/slack/url"},
		},
		"a webhook with its URL in the environment": {
			flag: "audit=webhook,url-env=AUDIT_URL", want: Spec{Name: "audit", Kind: Webhook, URLEnv: "AUDIT_URL"},
		},
		"a URL on the command line is refused, it would show the token": {flag: "audit=webhook,url=https://example.com/T0k3n", wantErr: true},
		"an unknown kind is refused":                                    {flag: "audit=teams,url-env=X", wantErr: true},
		"a name with capitals is refused":                               {flag: "Audit=webhook,url-env=X", wantErr: true},
		"no source is refused":                                          {flag: "audit=webhook", wantErr: true},
		"an empty file name is refused":                                 {flag: "audit=webhook,url-file=", wantErr: true},
		"two sources are refused":                                       {flag: "audit=webhook,url-env=X,url-file=/f", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseSpec(tc.flag)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseSpec error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "T0k3n") || !strings.HasSuffix(err.Error(), validSpec)) {
				t.Errorf("error %q shows the value or does not say what is valid", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseSpec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewRefusesReceiversItCannotUse(t *testing.T) {
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"GOOD": "https://hooks.example.com/T0k3n", "FTP": "ftp://example.com/T0k3n"}[k]
		return v, ok
	}
	tests := map[string]struct {
		specs []Spec
		want  string
	}{
		"a name configured twice": {
			specs: []Spec{{Name: "a", Kind: Webhook, URLEnv: "GOOD"}, {Name: "a", Kind: Slack, URLEnv: "GOOD"}},
			want:  "notification receiver a is configured twice",
		},
		"an unset variable": {
			specs: []Spec{{Name: "a", Kind: Webhook, URLEnv: "MISSING"}},
			want:  "the URL of receiver a: environment variable MISSING is not set",
		},
		"a URL that is not http, without showing it": {
			specs: []Spec{{Name: "a", Kind: Webhook, URLEnv: "FTP"}},
			want:  "the URL of receiver a: not an absolute http or https URL",
		},
		"a missing file": {
			specs: []Spec{{Name: "a", Kind: Webhook, URLFile: "/nonexistent/url"}},
			want:  "reading the URL of receiver a: open /nonexistent/url: no such file or directory",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(Options{Receivers: tc.specs, LookupEnv: env})
			if err == nil || err.Error() != tc.want {
				t.Errorf("New error = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestAFailedSendDoesNotShowTheURL(t *testing.T) {
	rec := newRecorder(t)
	rec.srv.Close() // the receiver is down
	n, _ := newNotifier(t, Options{Receivers: []Spec{{Name: "a", Kind: Slack, URLFile: urlFile(t, rec.srv.URL+"/services/T0k3n")}}})
	err := n.send(context.Background(), n.receivers["a"].spec, msg(Started, ""))
	if err == nil || strings.Contains(err.Error(), "T0k3n") {
		t.Errorf("send error = %v, want an error without the URL's token", err)
	}
}

func TestReceiversSelectsConfiguredReceiversByAnnotation(t *testing.T) {
	withReceivers, _ := newNotifier(t, Options{LookupEnv: func(string) (string, bool) { return "https://example.com/hook", true },
		Receivers: []Spec{{Name: "team-slack", Kind: Slack, URLEnv: "X"}, {Name: "audit", Kind: Webhook, URLEnv: "X"}}})
	var without *Notifier
	key := config.Prefix + KeyReceivers
	tests := map[string]struct {
		n            *Notifier
		annotations  map[string]string
		want         []string
		wantProblems config.Problems
	}{
		"no annotation selects none": {n: withReceivers, annotations: map[string]string{"team": "books"}},
		"names are trimmed and count once": {
			n: withReceivers, annotations: map[string]string{key: " team-slack, audit ,team-slack"}, want: []string{"team-slack", "audit"},
		},
		"an unknown name is a problem naming the configured ones": {
			n: withReceivers, annotations: map[string]string{key: "audit,pager,"},
			want: []string{"audit"},
			wantProblems: config.Problems{{Key: key, Value: "audit,pager,",
				Valid: `comma-separated names of the controller's notification receivers (audit, team-slack); not "pager", ""`}},
		},
		"any name is a problem when none is configured": {
			n: without, annotations: map[string]string{key: "audit"},
			wantProblems: config.Problems{{Key: key, Value: "audit",
				Valid: `nothing: the controller has no notification receivers (flag --notify-receiver), so "audit" cannot be selected; ` +
					`remove the annotation or ask the operator to configure them`}},
		},
		"an unknown notify key is a problem": {
			n: withReceivers, annotations: map[string]string{config.Prefix + "notify.receiver": "audit"},
			wantProblems: config.Problems{{Key: config.Prefix + "notify.receiver", Value: "audit",
				Valid: "an unknown notification key; the only one is meshcanary.io/notify.receivers"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, problems := tc.n.Receivers(tc.annotations)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Receivers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantProblems, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}
