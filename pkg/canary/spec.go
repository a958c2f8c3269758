package canary

import (
	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates"
	"github.com/meshcanary/meshcanary/pkg/strategy"
)

// Spec is what a Deployment's annotations ask of its canary.
type Spec struct {
	// Config is the release configuration, Steps and MirrorDuration as the
	// strategy schedules them.
	Config config.Config
	// Gates judge each step.
	Gates gates.Specs
	// Strategy shapes the routes beyond the weights.
	Strategy strategy.Strategy
}

// Parse reads the annotations of the Deployment name into a Spec. It
// returns every problem found: those of the configuration, then of the
// gates, then of the strategy. With problems, Config still holds the
// defaults of the invalid keys (the controller keeps a release's safety
// timers with them); the Strategy must not be used.
func Parse(name string, annotations map[string]string) (Spec, config.Problems) {
	cfg, problems := config.Parse(name, annotations)
	specs, gateProblems := gates.Parse(annotations)
	strat, stratProblems := strategy.Parse(annotations)
	cfg.Steps = strat.Steps(cfg.Steps)
	cfg.MirrorDuration = strat.MirrorDuration()
	problems = append(append(problems, gateProblems...), stratProblems...)
	return Spec{Config: cfg, Gates: specs, Strategy: strat}, problems
}
