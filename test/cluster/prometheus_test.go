package cluster

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestScrapeTargetsFileListsOneGroupPerJob(t *testing.T) {
	path := filepath.Join(t.TempDir(), "targets.json")
	c := &Cluster{scrape: &scrapeTargets{path: path, jobs: map[string][]string{}}}
	steps := []struct {
		job       string
		addresses []string
	}{
		{"meshsim", []string{"127.0.0.1:2000"}},
		{"controller", []string{"127.0.0.1:1000", "127.0.0.1:1001"}},
		{"gone", []string{"127.0.0.1:3000"}},
		{"gone", nil},
	}
	for _, s := range steps {
		if err := c.Scrape(s.job, s.addresses...); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "targets": [
      "127.0.0.1:1000",
      "127.0.0.1:1001"
    ],
    "labels": {
      "job": "controller"
    }
  },
  {
    "targets": [
      "127.0.0.1:2000"
    ],
    "labels": {
      "job": "meshsim"
    }
  }
]`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("targets file (-want +got):\n%s", diff)
	}
}

func TestScrapeWithoutPrometheusFails(t *testing.T) {
	if err := (&Cluster{}).Scrape("job", "127.0.0.1:1"); err == nil {
		t.Error("Scrape on a cluster without Prometheus succeeded, want an error")
	}
}

func TestPromDurationWritesPrometheusUnits(t *testing.T) {
	cases := map[string]struct {
		in   time.Duration
		want string
	}{
		"whole seconds are written in s":          {2 * time.Second, "2s"},
		"fractions of a second are written in ms": {1500 * time.Millisecond, "1500ms"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := promDuration(tc.in); got != tc.want {
				t.Errorf("promDuration(%s) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
