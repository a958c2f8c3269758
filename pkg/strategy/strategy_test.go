package strategy

import (
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/istio"
)

func TestRoutesGiveEachStageItsShapes(t *testing.T) {
	insider := istio.Condition{In: istio.InHeader, Name: "x-canary", Op: istio.Exact, Value: "insider"}
	full := Strategy{
		Match:  []istio.Condition{insider},
		Mirror: &Mirror{Share: istio.Share{Weight: 5, Total: 1000}, Duration: time.Minute},
		Sticky: &Sticky{Cookie: "c", MaxAge: time.Hour},
	}
	tests := map[string]struct {
		strategy Strategy
		stage    Stage
		want     istio.Shaping
	}{
		"an idle release shapes nothing": {strategy: full, stage: Idle},
		"mirroring copies traffic and routes nothing by match yet": {
			strategy: full, stage: Mirroring, want: istio.Shaping{Mirror: &istio.Share{Weight: 5, Total: 1000}},
		},
		"mirroring without a mirror shapes nothing": {strategy: Strategy{Match: full.Match}, stage: Mirroring},
		"stepping routes by match and sets the release's cookie, without mirroring": {
			strategy: full, stage: Stepping,
			want: istio.Shaping{Match: []istio.Condition{insider}, Sticky: &istio.SessionCookie{Cookie: "c", Value: "7d9f8c6b5", MaxAge: time.Hour}},
		},
		"plain weights shape nothing while stepping": {stage: Stepping},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.strategy.Routes(tc.stage, "7d9f8c6b5")); diff != "" {
				t.Errorf("Routes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStepsOfAMatchOnlyScheduleCarryNoWeight(t *testing.T) {
	steps := []int32{5, 50, 250}
	if got := (Strategy{}).Steps(steps); !cmp.Equal(got, steps) {
		t.Errorf("weights schedule Steps = %v, want %v", got, steps)
	}
	if got := (Strategy{MatchOnly: true}).Steps(steps); !cmp.Equal(got, []int32{0, 0, 0}) {
		t.Errorf("match-only Steps = %v, want three steps of weight 0", got)
	}
}

func TestMirrorDurationIsZeroWithoutMirroring(t *testing.T) {
	if d := (Strategy{}).MirrorDuration(); d != 0 {
		t.Errorf("MirrorDuration without a mirror = %s, want 0", d)
	}
	if d := (Strategy{Mirror: &Mirror{Duration: time.Minute}}).MirrorDuration(); d != time.Minute {
		t.Errorf("MirrorDuration = %s, want 1m", d)
	}
}

// FuzzParse checks that Parse never panics and that every condition it
// accepts is valid for Istio: lowercase header names and RE2 expressions.
func FuzzParse(f *testing.F) {
	f.Add("header.x-canary", "exact:insider", "cookie.tier", "regex:gold|platinum")
	f.Add("query.preview", "prefix:1", "schedule", "match-only")
	f.Add("mirror", "0.5", "sticky", "true")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		s, problems := Parse(annotations(KeyPrefix+k1, v1, KeyPrefix+k2, v2))
		if len(problems) > 0 {
			return
		}
		for _, c := range s.Match {
			if c.In == istio.InHeader && !headerName.MatchString(c.Name) {
				t.Errorf("accepted header name %q", c.Name)
			}
			if _, err := regexp.Compile(c.Value); c.Op == istio.Regex && err != nil {
				t.Errorf("accepted regex %q: %v", c.Value, err)
			}
		}
	})
}
