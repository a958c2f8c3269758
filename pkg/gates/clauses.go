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

// Defaults of the relative error-rate test.
const (
	// DefaultDetectFactor: unless told, the test must catch a canary
	// DefaultDetectFactor times worse than the tolerance.
	DefaultDetectFactor = 3
	// DefaultPower is the probability of catching such a canary.
	DefaultPower = 0.9
)

const errorRateValid = `comma-separated clauses: "max=<percent>" (absolute limit, for example max=1%), ` +
	`"relative" or "relative=<ratio>x" (sequential comparison with the primary, tolerance default 1x), ` +
	`"detect=<ratio>x" and "power=<probability>" (regression that must be caught and how surely, default 3x the tolerance and 0.9)`

// parseErrorRate reads "max=1%", "relative=1.2x, detect=3x, power=0.9".
func parseErrorRate(value string, set settings) (Specs, string) {
	clauses, err := keyValues(value)
	if err != nil {
		return nil, errorRateValid + ": " + err.Error()
	}
	var specs Specs
	if v, ok := clauses["max"]; ok {
		limit, err := percent(v)
		if err != nil {
			return nil, errorRateValid + ": max: " + err.Error()
		}
		specs = append(specs, Spec{Name: KeyErrorRate + " max=" + v, Kind: KindErrorRate, Limit: limit, MinRequests: set.minRequests})
	}
	spec, err := relativeSpec(clauses, set)
	if err != nil {
		return nil, errorRateValid + ": " + err.Error()
	}
	if spec != nil {
		specs = append(specs, *spec)
	}
	if len(specs) == 0 {
		return nil, errorRateValid + ": give max, relative or both"
	}
	return specs, ""
}

// relativeSpec builds the sequential test from the relative, detect and
// power clauses; nil when relative is absent.
func relativeSpec(clauses map[string]string, set settings) (*Spec, error) {
	for k := range clauses {
		if k != "max" && k != "relative" && k != "detect" && k != "power" {
			return nil, fmt.Errorf("unknown clause %q", k)
		}
	}
	tol, ok := clauses["relative"]
	if !ok {
		if _, d := clauses["detect"]; d {
			return nil, fmt.Errorf("detect needs relative")
		}
		if _, p := clauses["power"]; p {
			return nil, fmt.Errorf("power needs relative")
		}
		return nil, nil
	}
	d := seqtest.Design{Tolerance: 1, Alpha: set.alpha, Beta: 1 - DefaultPower}
	var err error
	if tol != "" {
		if d.Tolerance, err = ratio(tol); err != nil {
			return nil, fmt.Errorf("relative: %w", err)
		}
	}
	d.Detect = DefaultDetectFactor * d.Tolerance
	if v, ok := clauses["detect"]; ok {
		if d.Detect, err = ratio(v); err != nil {
			return nil, fmt.Errorf("detect: %w", err)
		}
	}
	if v, ok := clauses["power"]; ok {
		p, err := strconv.ParseFloat(v, 64)
		if err != nil || !(p > 0.5 && p < 1) {
			return nil, fmt.Errorf("power %q: a probability in (0.5, 1)", v)
		}
		d.Beta = 1 - p
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("%s relative=%sx", KeyErrorRate, fmtNum(d.Tolerance))
	return &Spec{Name: name, Kind: KindErrorRatio, Limit: d.Tolerance, Test: d, MinRequests: set.minRequests}, nil
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
		s := Spec{Name: KeyLatency + " p" + m[1] + "<" + m[2], Kind: KindLatency, Quantile: q / 100, MinRequests: set.minRequests}
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
