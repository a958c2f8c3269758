package notify

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

func TestFlagsGiveOptions(t *testing.T) {
	var f Flags
	fs := pflag.NewFlagSet("controller", pflag.ContinueOnError)
	f.AddFlags(fs)
	err := fs.Parse([]string{"--notify-receiver", "team=slack,url-file=/s/url", "--notify-receiver", "audit=webhook,url-env=AUDIT",
		"--notify-queue-size", "50"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Options()
	if err != nil {
		t.Fatal(err)
	}
	want := Options{QueueSize: 50, Workers: 2, Receivers: []Spec{
		{Name: "team", Kind: Slack, URLFile: "/s/url"}, {Name: "audit", Kind: Webhook, URLEnv: "AUDIT"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Options (-want +got):\n%s", diff)
	}
	f.Receivers = append(f.Receivers, "broken")
	if _, err := f.Options(); err == nil {
		t.Errorf("Options accepted a broken receiver")
	}
}
