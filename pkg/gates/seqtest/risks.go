package seqtest

import (
	"fmt"
	"math"
)

// checkRisks reports the risks of a test, alpha of failing an acceptable
// canary and beta of passing a bad one, when one is outside (0, 0.5).
func checkRisks(alpha, beta float64) error {
	switch {
	case !(alpha > 0 && alpha < 0.5):
		return fmt.Errorf("alpha %v: must be in (0, 0.5)", alpha)
	case !(beta > 0 && beta < 0.5):
		return fmt.Errorf("beta %v: must be in (0, 0.5)", beta)
	}
	return nil
}

// failBound is Wald's upper bound on the evidence for risk alpha:
// log(1/alpha).
func failBound(alpha float64) float64 { return -math.Log(alpha) }

// passBound is Wald's lower bound on the evidence for risk beta: log(beta).
func passBound(beta float64) float64 { return math.Log(beta) }
