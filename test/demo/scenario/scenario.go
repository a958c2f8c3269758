// Package scenario is the release configuration of `make demo`, in one
// place: the Deployment's meshcanary.io annotations, the traffic model (the
// request rate and each version's error rate and latency in the mesh
// simulator) and the two releases with the outcome each must reach. The
// demo (test/demo) shows it; the end-to-end suite's TestDemoScenario
// (test/e2e) runs it and asserts the outcomes, so what the demo promises is
// tested.
package scenario

import (
	"strconv"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// App is the name of the sample Service and Deployment.
const App = "web"

// Rate is the requests per second the simulated callers send to the
// service.
const Rate = 40

// goodErrorRate is the share of failed requests of a healthy version: 1 %,
// as in the gates' simulation (see docs/gates-method.md).
const goodErrorRate = 0.01

// latencyMS is every version's typical latency in milliseconds.
const latencyMS = "20"

// Config returns the Deployment's meshcanary.io annotations, keyed by the
// part after the prefix ("steps", "gate.error-rate", ...).
func Config() map[string]string {
	return map[string]string{
		config.KeySteps:         "5,25,50",
		config.KeyStepInterval:  "15s",
		config.KeyCheckInterval: "5s",
		"gate.error-rate":       "max=5%, relative",
		"gate.latency":          "p99<500ms",
		"gate.min-requests":     "20",
	}
}

// Pod returns the pod template annotations of the first version: the
// simulator's behaviour of a healthy version.
func Pod() map[string]string {
	return map[string]string{
		meshsim.ErrorRateAnnotation: formatRate(goodErrorRate),
		meshsim.LatencyAnnotation:   latencyMS,
	}
}

// formatRate is an error rate as the simulator's annotation spells it.
func formatRate(r float64) string { return strconv.FormatFloat(r, 'g', -1, 64) }
