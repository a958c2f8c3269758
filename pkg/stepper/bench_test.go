package stepper_test

import (
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// BenchmarkNext measures one decision at the end of a step with a passing
// evaluation (the busiest path: verdicts recorded, step advanced, event).
func BenchmarkNext(b *testing.B) {
	cfg, s := testConfig(), stepping(1, -5*time.Minute)
	o := with(observed(s), func(o *stepper.Observations) { o.Verdicts = passing })
	for b.Loop() {
		stepper.Next(cfg, s, o, t0)
	}
}
