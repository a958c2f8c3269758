package strategy

import (
	"time"

	"github.com/meshcanary/meshcanary/pkg/istio"
)

// Strategy is how a Deployment's releases route traffic beyond the weights.
// The zero value is plain weights.
type Strategy struct {
	// Match lists the conditions a request must all meet to be sent to the
	// canary from the first step (cookies are conditions on the "cookie"
	// header); empty means no A/B routing.
	Match []istio.Condition
	// MatchOnly keeps every other request on the primary: the schedule's
	// steps only bake and judge the canary (see Steps).
	MatchOnly bool
	// Mirror, when set, copies a share of the traffic to the canary before
	// the first step.
	Mirror *Mirror
	// Sticky, when set, keeps clients the weights send to the canary on it.
	Sticky *Sticky
}

// Mirror is the mirroring phase of a release.
type Mirror struct {
	// Share is the percentage of the traffic copied to the canary.
	Share istio.Share
	// Duration is how long the canary is judged on mirrored traffic before
	// the first step.
	Duration time.Duration
}

// Sticky is the session cookie of sticky sessions.
type Sticky struct {
	Cookie string
	MaxAge time.Duration
}

// Stage is where a release is, as far as its routes are concerned.
type Stage int

// The stages of a release.
const (
	// Idle: no release shapes the routes (no release, the canary not yet
	// up, rolling back).
	Idle Stage = iota
	// Mirroring: before the first step, the canary gets copies of requests.
	Mirroring
	// Stepping: at a step, or promoting while the canary still has weight.
	Stepping
)

// Routes is the istio.Shaping for a release at stage: the mirror while
// mirroring; the A/B conditions and the sticky cookie (its value the
// canary's pod-template-hash, so each release has its own) while stepping;
// nothing when idle. The controller still decides with
// istio.Routing.CanaryReady whether the canary may be named at weight 0.
func (s Strategy) Routes(stage Stage, canaryHash string) istio.Shaping {
	switch stage {
	case Mirroring:
		if s.Mirror != nil {
			share := s.Mirror.Share
			return istio.Shaping{Mirror: &share}
		}
	case Stepping:
		st := istio.Shaping{Match: s.Match}
		if s.Sticky != nil {
			st.Sticky = &istio.SessionCookie{Cookie: s.Sticky.Cookie, Value: canaryHash, MaxAge: s.Sticky.MaxAge}
		}
		return st
	}
	return istio.Shaping{}
}

// Steps is the weight schedule the stepper should run for steps: steps
// themselves, or with MatchOnly as many steps of weight 0, so that the
// release still bakes and is judged step by step while only matching
// requests reach the canary.
func (s Strategy) Steps(steps []int32) []int32 {
	if !s.MatchOnly {
		return steps
	}
	return make([]int32, len(steps))
}

// MirrorDuration is how long the release mirrors before its first step, 0
// without mirroring.
func (s Strategy) MirrorDuration() time.Duration {
	if s.Mirror == nil {
		return 0
	}
	return s.Mirror.Duration
}
