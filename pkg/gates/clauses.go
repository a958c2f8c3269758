package gates

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// Defaults of the sequential tests.
const (
	// DefaultDetectFactor: unless told, the relative test must catch a
	// canary DefaultDetectFactor times worse than the tolerance.
	DefaultDetectFactor = 3
	// DefaultPower is the probability of catching a canary at the
	// detection point of a test.
	DefaultPower = 0.9
	// DefaultFloor is the relative test's absolute floor: a canary whose
	// error rate is at most this is never failed for its ratio to the
	// primary's (3x of 0.01% is not a regression worth a rollback).
	DefaultFloor = 0.001
	// floorDetectFactor: the floor test must catch a canary at this many
	// times the floor (1% for the default floor).
	floorDetectFactor = 10
)

const errorRateValid = `comma-separated clauses: "max=<percent>" (limit on the canary's error rate, for example max=1%) ` +
	`with "margin=<percent>" (how far above the limit a canary must be caught, default the limit itself); ` +
	`"relative" or "relative=<ratio>x" (sequential comparison with the primary, tolerance default 1x) ` +
	`with "detect=<ratio>x" (regression that must be caught, default 3x the tolerance) and "floor=<percent>" ` +
	`(error rate never judged a regression, default 0.1%); "power=<probability>" (how surely, default 0.9)`

// parseErrorRate reads "max=1%", "relative=1.2x, detect=3x, power=0.9".
func parseErrorRate(value string, set settings) (Specs, string) {
	clauses, err := keyValues(value)
	if err != nil {
		return nil, errorRateValid + ": " + err.Error()
	}
	if err := checkClauses(clauses); err != nil {
		return nil, errorRateValid + ": " + err.Error()
	}
	if v, ok := clauses["power"]; ok {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || !(p > 0.5 && p < 1) {
			return nil, errorRateValid + fmt.Sprintf(": power %q: a probability in (0.5, 1)", v)
		}
		set.beta = 1 - p
	}
	var specs Specs
	if v, ok := clauses["max"]; ok {
		spec, err := maxSpec(v, clauses, set)
		if err != nil {
			return nil, errorRateValid + ": " + err.Error()
		}
		specs = append(specs, spec)
	}
	if _, ok := clauses["relative"]; ok {
		spec, err := relativeSpec(clauses, set)
		if err != nil {
			return nil, errorRateValid + ": " + err.Error()
		}
		specs = append(specs, spec)
	}
	if len(specs) == 0 {
		return nil, errorRateValid + ": give max, relative or both"
	}
	return specs, ""
}

// checkClauses rejects unknown clauses and clauses without the check they
// tune.
func checkClauses(clauses map[string]string) error {
	needs := map[string]string{"max": "", "relative": "", "power": "", "margin": "max", "detect": "relative", "floor": "relative"}
	for k := range clauses {
		need, known := needs[k]
		if !known {
			return fmt.Errorf("unknown clause %q", k)
		}
		if _, ok := clauses[need]; need != "" && !ok {
			return fmt.Errorf("%s needs %s", k, need)
		}
	}
	return nil
}

// maxSpec builds the one-sample test of "max=<percent>[, margin=<percent>]".
func maxSpec(v string, clauses map[string]string, set settings) (Spec, error) {
	limit, err := percent(v)
	if err != nil {
		return Spec{}, fmt.Errorf("max: %w", err)
	}
	d := seqtest.Rate{Limit: limit, Detect: defaultDetect(limit), Alpha: set.alpha, Beta: set.beta}
	if m, ok := clauses["margin"]; ok {
		margin, err := percent(m)
		if err != nil || margin == 0 {
			return Spec{}, fmt.Errorf("margin %q: a percentage above 0%%, for example 2%%", m)
		}
		d.Detect = limit + margin
	}
	if err := d.Validate(); err != nil {
		return Spec{}, fmt.Errorf("max=%s: %w", v, err)
	}
	return Spec{Name: KeyErrorRate + " max=" + v, Kind: KindErrorRate, Limit: limit, Rate: d, MinRequests: set.minRequests}, nil
}

// relativeSpec builds the sequential ratio test and its floor test from
// the relative, detect, floor and power clauses. Each test gets half the
// risk of passing a regression, so that the gate, which passes when
// either test does, keeps the stated power.
func relativeSpec(clauses map[string]string, set settings) (Spec, error) {
	d := seqtest.Design{Tolerance: 1, Alpha: set.alpha, Beta: set.beta / 2}
	var err error
	if tol := clauses["relative"]; tol != "" {
		if d.Tolerance, err = ratio(tol); err != nil {
			return Spec{}, fmt.Errorf("relative: %w", err)
		}
	}
	d.Detect = DefaultDetectFactor * d.Tolerance
	if v, ok := clauses["detect"]; ok {
		if d.Detect, err = ratio(v); err != nil {
			return Spec{}, fmt.Errorf("detect: %w", err)
		}
	}
	if err := d.Validate(); err != nil {
		return Spec{}, err
	}
	floor := DefaultFloor
	if v, ok := clauses["floor"]; ok {
		if floor, err = percent(v); err != nil || floor >= 0.5 {
			return Spec{}, fmt.Errorf("floor %q: a percentage below 50%%, for example 0.1%%", v)
		}
	}
	f := seqtest.Rate{Limit: floor, Detect: math.Min(floorDetectFactor*floor, (1+floor)/2), Alpha: set.alpha, Beta: set.beta / 2}
	if floor == 0 {
		f.Detect = defaultDetect(0)
	}
	name := fmt.Sprintf("%s relative=%sx", KeyErrorRate, fmtNum(d.Tolerance))
	return Spec{Name: name, Kind: KindErrorRatio, Limit: d.Tolerance, Test: d, Floor: f, MinRequests: set.minRequests}, nil
}

// keyValues splits "a=1, b, c=2" into a map; a bare word maps to "".
func keyValues(value string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(value, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" {
			return nil, fmt.Errorf("empty clause")
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("clause %q given twice", k)
		}
		out[k] = v
	}
	return out, nil
}

// percent reads "1.5%" as 0.015.
func percent(v string) (float64, error) {
	n, ok := strings.CutSuffix(v, "%")
	f, err := strconv.ParseFloat(n, 64)
	if !ok || err != nil || !(f >= 0 && f <= 100) {
		return 0, fmt.Errorf("%q: a percentage between 0%% and 100%%, for example 1%%", v)
	}
	return f / 100, nil
}

// ratio reads "1.5x" as 1.5.
func ratio(v string) (float64, error) {
	n, ok := strings.CutSuffix(v, "x")
	f, err := strconv.ParseFloat(n, 64)
	if !ok || err != nil || !(f > 0) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q: a positive ratio such as 1.5x", v)
	}
	return f, nil
}

var latencyClause = regexp.MustCompile(`^p([0-9]+(?:\.[0-9]+)?)\s*<\s*([^\s]+)$`)

const latencyValid = `comma-separated clauses "p<percentile><<limit>", the limit a duration or a ratio to the primary, for example "p99<500ms" or "p99<500ms, p50<1.2x"`

// parseLatency reads "p99<500ms, p50<1.2x".
func parseLatency(value string, set settings) (Specs, string) {
	var specs Specs
	for _, part := range strings.Split(value, ",") {
		m := latencyClause.FindStringSubmatch(strings.TrimSpace(part))
		if m == nil {
			return nil, latencyValid
		}
		q, err := strconv.ParseFloat(m[1], 64)
		if err != nil || !(q > 0 && q < 100) {
			return nil, latencyValid + ": the percentile must be in (0, 100)"
		}
		s := Spec{Name: KeyLatency + " p" + m[1] + "<" + m[2], Kind: KindLatency, Quantile: q / 100, MinRequests: set.minRequests,
			Rate: seqtest.Rate{Limit: 1 - q/100, Detect: defaultDetect(1 - q/100), Alpha: set.alpha, Beta: set.beta}}
		if strings.HasSuffix(m[2], "x") {
			s.Ratio = true
			if s.Limit, err = ratio(m[2]); err != nil {
				return nil, latencyValid + ": " + err.Error()
			}
		} else {
			d, err := time.ParseDuration(m[2])
			if err != nil || d <= 0 {
				return nil, latencyValid + ": " + m[2] + " is neither a duration nor a ratio"
			}
			s.Limit = float64(d) / float64(time.Millisecond)
		}
		specs = append(specs, s)
	}
	return specs, ""
}

var resourceClause = regexp.MustCompile(`^<\s*([^\s]+)$`)

// parseResource reads "<1.5x": the canary's use per pod must stay below
// 1.5 times the primary's.
func parseResource(kind Kind, value string) (Specs, string) {
	valid := `"<<ratio>x": the canary's use per pod relative to the primary's, for example "<1.5x"`
	m := resourceClause.FindStringSubmatch(value)
	if m == nil {
		return nil, valid
	}
	r, err := ratio(m[1])
	if err != nil {
		return nil, valid + ": " + err.Error()
	}
	return Specs{{Name: string(kind) + " <" + m[1], Kind: kind, Limit: r, Ratio: true}}, ""
}

// fmtNum formats a number without trailing zeros.
func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
