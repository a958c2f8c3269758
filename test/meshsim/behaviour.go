package meshsim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Annotation names read from each pod; see the package documentation.
const (
	annotationPrefix = "meshsim.io/"
	// ErrorRateAnnotation is the probability, in [0, 1], that the pod answers
	// a request with ErrorCodeAnnotation's code.
	ErrorRateAnnotation = annotationPrefix + "error-rate"
	// ErrorCodeAnnotation is the HTTP status of a failed request (500 to 599).
	ErrorCodeAnnotation = annotationPrefix + "error-code"
	// LatencyAnnotation is the typical latency in milliseconds: the median of
	// the log-normal spread, the mean of the exponential one.
	LatencyAnnotation = annotationPrefix + "latency-ms"
	// LatencySpreadAnnotation is "exponential" or a log-normal shape σ ≥ 0
	// ("0" means every request takes exactly LatencyAnnotation).
	LatencySpreadAnnotation = annotationPrefix + "latency-spread"
	// CPUAnnotation is the CPU seconds the pod's container spends per request.
	CPUAnnotation = annotationPrefix + "cpu-per-request"
	// MemoryAnnotation is the working set of the pod's container in bytes.
	MemoryAnnotation = annotationPrefix + "memory-bytes"
)

// Behaviour is how a pod answers requests.
type Behaviour struct {
	ErrorRate float64
	ErrorCode int
	// Latency is the median (log-normal) or mean (exponential) latency.
	Latency time.Duration
	// Exponential selects an exponential spread instead of a log-normal one.
	Exponential bool
	// Sigma is the log-normal shape; 0 means a fixed latency.
	Sigma         float64
	CPUPerRequest float64
	MemoryBytes   float64
}

// DefaultBehaviour is the behaviour of a pod without meshsim.io annotations:
// no errors, 5 ms median latency with σ 0.5, 1 ms of CPU per request and a
// 32 MiB working set.
var DefaultBehaviour = Behaviour{
	ErrorCode:     500,
	Latency:       5 * time.Millisecond,
	Sigma:         0.5,
	CPUPerRequest: 0.001,
	MemoryBytes:   32 << 20,
}

// ParseBehaviour reads a pod's behaviour from its annotations. A missing
// annotation keeps DefaultBehaviour's value; an invalid one keeps it too and
// is reported in the returned error.
func ParseBehaviour(annotations map[string]string) (Behaviour, error) {
	b := DefaultBehaviour
	var errs []error
	parse := func(key string, min, max float64, set func(float64)) {
		raw, ok := annotations[key]
		if !ok {
			return
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsNaN(v) || v < min || v > max {
			errs = append(errs, fmt.Errorf("annotation %s=%q: want a number in [%g, %g]", key, raw, min, max))
			return
		}
		set(v)
	}
	parse(ErrorRateAnnotation, 0, 1, func(v float64) { b.ErrorRate = v })
	parse(ErrorCodeAnnotation, 500, 599, func(v float64) { b.ErrorCode = int(v) })
	parse(LatencyAnnotation, 0, 3.6e6, func(v float64) { b.Latency = time.Duration(v * float64(time.Millisecond)) })
	parse(CPUAnnotation, 0, 1e3, func(v float64) { b.CPUPerRequest = v })
	parse(MemoryAnnotation, 0, 1e15, func(v float64) { b.MemoryBytes = v })
	if raw, ok := annotations[LatencySpreadAnnotation]; ok && raw == "exponential" {
		b.Exponential, b.Sigma = true, 0
	} else {
		parse(LatencySpreadAnnotation, 0, 5, func(v float64) { b.Sigma = v })
	}
	return b, errors.Join(errs...)
}

// Answer is a pod's answer to one request.
type Answer struct {
	Code    int
	Latency time.Duration
}

// Answer draws the pod's answer to one request from rnd.
func (b Behaviour) Answer(rnd *rand.Rand) Answer {
	a := Answer{Code: 200, Latency: b.Latency}
	if b.ErrorRate > 0 && rnd.Float64() < b.ErrorRate {
		a.Code = b.ErrorCode
	}
	switch {
	case b.Exponential:
		a.Latency = time.Duration(rnd.ExpFloat64() * float64(b.Latency))
	case b.Sigma > 0:
		a.Latency = time.Duration(math.Exp(b.Sigma*rnd.NormFloat64()) * float64(b.Latency))
	}
	return a
}
