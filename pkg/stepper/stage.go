package stepper

import "github.com/meshcanary/meshcanary/pkg/strategy"

// StrategyStage says which routes the strategy adds for s: none while idle
// or before the canary is ready, the mirror while mirroring, the A/B and
// sticky routes while stepping and while promoting with canary weight. A
// paused canary keeps the routes of the phase it was paused in.
func StrategyStage(s Status) strategy.Stage {
	phase := effectivePhase(s)
	switch {
	case phase == PhaseProgressing && s.Mirroring:
		return strategy.Mirroring
	case phase == PhaseProgressing && s.Step >= 1, phase == PhasePromoting && s.Weight > 0:
		return strategy.Stepping
	}
	return strategy.Idle
}
