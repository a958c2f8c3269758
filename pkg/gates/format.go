package gates

import (
	"math"
	"strconv"
)

// num returns a pointer to f, or nil when f is not finite: a verdict's
// numbers end up in JSON, which has no NaN or infinity.
func num(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// pct formats a fraction as a percentage with up to two decimals.
func pct(f float64) string {
	if math.IsNaN(f) {
		return "n/a"
	}
	return strconv.FormatFloat(math.Round(f*10000)/100, 'f', -1, 64) + "%"
}

// count formats a request or error count.
func count(f float64) string { return strconv.FormatFloat(math.Round(f), 'f', -1, 64) }

// ms formats milliseconds.
func ms(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) + "ms" }

// ratioText formats a ratio with two decimals.
func ratioText(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// cores formats CPU cores in millicores.
func cores(f float64) string { return strconv.FormatFloat(math.Round(f*1000), 'f', -1, 64) + "m" }

// mebibytes formats bytes in MiB.
func mebibytes(f float64) string {
	return strconv.FormatFloat(math.Round(f/(1<<20)*10)/10, 'f', -1, 64) + "MiB"
}
