package gates

import (
	"regexp"
	"testing"

	"github.com/meshcanary/meshcanary/pkg/gates/promql"
)

func TestPodOwnerAgreesWithThePodRegex(t *testing.T) {
	for name, c := range map[string]struct {
		pod, owner string
	}{
		"a canary pod":                      {"web-5d9f8b7c4-x2x7q", "web"},
		"a primary pod":                     {"web-primary-6c8d5f9b8-bcdfg", "web-primary"},
		"a one-character template hash":     {"web-b-x2x7q", "web"},
		"a StatefulSet pod":                 {"web-x-0", ""},
		"a suffix with a vowel":             {"web-5d9f8b7c4-aeiou", ""},
		"an eleven-character template hash": {"web-5d9f8b7c4bb-x2x7q", ""},
		"a pod without dashes":              {"web", ""},
		"a pod without a Deployment name":   {"-5d9f8b7c4-x2x7q", ""},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := podOwner(c.pod)
			if got != c.owner || ok != (c.owner != "") {
				t.Errorf("podOwner(%q) = %q, %v; want %q", c.pod, got, ok, c.owner)
			}
			for _, d := range []string{"web", "web-primary"} {
				re := regexp.MustCompile("^(?:" + promql.PodRegex(d) + ")$")
				if re.MatchString(c.pod) != (c.owner == d) {
					t.Errorf("PodRegex(%q) matching %q disagrees with podOwner", d, c.pod)
				}
			}
		})
	}
}

// TestCountersSinceDropsABatchWithADecrease also keeps series that did not
// grow: a latency bucket with no new observation is still a boundary.
func TestCountersSinceDropsABatchWithADecrease(t *testing.T) {
	prev := counters{"200|": 10, "503|": 2}
	if d, ok := (counters{"200|": 15, "503|": 2, "404|": 1}).since(prev); !ok || len(d) != 3 || d["200|"] != 5 || d["404|"] != 1 || d["503|"] != 0 {
		t.Errorf("growth: %v %v", d, ok)
	}
	if _, ok := (counters{"200|": 15}).since(prev); ok {
		t.Error("a vanished series was not reported as a decrease")
	}
	if _, ok := (counters{"200|": 9, "503|": 3}).since(prev); ok {
		t.Error("a reset was not reported")
	}
}
