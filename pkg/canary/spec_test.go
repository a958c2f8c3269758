package canary_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/canary"
)

func TestParseAppliesTheStrategysSchedule(t *testing.T) {
	for name, tc := range map[string]struct {
		annotations map[string]string
		wantSteps   []int32
		wantMirror  time.Duration
	}{
		"without a strategy the steps are the configured weights": {
			annotations: map[string]string{"meshcanary.io/steps": "5,50"},
			wantSteps:   []int32{5, 50},
		},
		"a match-only schedule bakes every step at weight 0": {
			annotations: map[string]string{"meshcanary.io/steps": "5,50",
				"meshcanary.io/strategy.header.x-canary": "exact:insider", "meshcanary.io/strategy.schedule": "match-only"},
			wantSteps: []int32{0, 0},
		},
		"mirroring takes the strategy's mirror duration": {
			annotations: map[string]string{"meshcanary.io/steps": "5,50",
				"meshcanary.io/strategy.mirror": "20", "meshcanary.io/strategy.mirror-duration": "2m"},
			wantSteps: []int32{5, 50}, wantMirror: 2 * time.Minute,
		},
	} {
		t.Run(name, func(t *testing.T) {
			spec, problems := canary.Parse("web", tc.annotations)
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			if d := cmp.Diff(tc.wantSteps, spec.Config.Steps); d != "" {
				t.Errorf("steps (-want +got):\n%s", d)
			}
			if spec.Config.MirrorDuration != tc.wantMirror {
				t.Errorf("mirror duration = %s, want %s", spec.Config.MirrorDuration, tc.wantMirror)
			}
		})
	}
}

func TestParseReportsTheProblemsOfConfigurationGatesAndStrategy(t *testing.T) {
	_, problems := canary.Parse("web", map[string]string{
		"meshcanary.io/strategy.schedule": "sometimes",
		"meshcanary.io/gate.error-rate":   "max=lots",
		"meshcanary.io/steps":             "5,abc",
	})
	var keys []string
	for _, p := range problems {
		keys = append(keys, p.Key)
	}
	want := []string{"meshcanary.io/steps", "meshcanary.io/gate.error-rate", "meshcanary.io/strategy.schedule"}
	if d := cmp.Diff(want, keys); d != "" {
		t.Errorf("problem keys (-want +got):\n%s", d)
	}
}
