package meshsim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCountsSubMeasuresOneInterval(t *testing.T) {
	before := Counts{
		Requests:  10,
		Workloads: map[string]int64{"podinfo-primary": 10},
		Subsets:   map[string]int64{"primary": 10},
		Codes:     map[int]int64{200: 10},
		Flags:     map[string]int64{"-": 10},
		Mirrored:  map[string]int64{},
	}
	after := Counts{
		Requests:  30,
		Workloads: map[string]int64{"podinfo-primary": 25, "podinfo": 4, "unknown": 1},
		Subsets:   map[string]int64{"primary": 25, "canary": 5},
		Codes:     map[int]int64{200: 29, 503: 1},
		Flags:     map[string]int64{"-": 29, "UH": 1},
		Mirrored:  map[string]int64{"podinfo": 3},
	}
	want := Counts{
		Requests:  20,
		Workloads: map[string]int64{"podinfo-primary": 15, "podinfo": 4, "unknown": 1},
		Subsets:   map[string]int64{"primary": 15, "canary": 5},
		Codes:     map[int]int64{200: 19, 503: 1},
		Flags:     map[string]int64{"-": 19, "UH": 1},
		Mirrored:  map[string]int64{"podinfo": 3},
	}
	got := after.Sub(before)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sub (-want +got):\n%s", diff)
	}
	if share := got.Share("podinfo"); share != 0.2 {
		t.Errorf("canary share %g, want 0.2", share)
	}
}
