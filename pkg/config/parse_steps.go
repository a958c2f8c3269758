package config

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

const (
	// MaxSteps is the largest number of steps in one release.
	MaxSteps = 50
	// maxDecimals is the largest number of decimals of a step percentage.
	maxDecimals = 2
	// hundredths is 100 % in hundredths of a percent, the finest unit a
	// step can be written in.
	hundredths = 100 * 100
)

// validSteps says what a valid meshcanary.io/steps value is.
const validSteps = `1 to 50 comma-separated percentages, each > 0 and <= 100 with at most 2 decimals, strictly increasing, e.g. "0.5,1,5,25,50"`

// ParseSteps parses a comma-separated list of canary percentages such as
// "0.5, 1, 5, 25, 50" into exact integer weights out of total.
//
// Total is 100 × 10^d where d is the largest number of decimals a step needs
// (trailing zeros do not count, so "0.50" needs one), and every step is
// scaled to it: "0.5,1,5" gives total 1000 and steps [5 10 50]. Decimals are
// parsed as integers, never as floats, so no weight is ever rounded.
//
// Spaces around a step are allowed. Each step must be a plain decimal > 0 and
// <= 100 with at most 2 decimals, the steps strictly increasing, 1 to 50 of
// them; the error names the first step that is not.
func ParseSteps(v string) (steps []int32, total int32, err error) {
	if strings.TrimSpace(v) == "" {
		return nil, 0, fmt.Errorf("no steps")
	}
	entries := strings.Split(v, ",")
	if len(entries) > MaxSteps {
		return nil, 0, fmt.Errorf("%d steps, more than %d", len(entries), MaxSteps)
	}
	inHundredths := make([]int32, len(entries))
	decimals := 0
	for i, entry := range entries {
		entry = strings.TrimSpace(entry)
		h, d, err := parsePercent(entry)
		if err != nil {
			return nil, 0, fmt.Errorf("step %d %w", i+1, err)
		}
		if i > 0 && h <= inHundredths[i-1] {
			return nil, 0, fmt.Errorf("step %d (%s) is not greater than step %d (%s)",
				i+1, entry, i, strings.TrimSpace(entries[i-1]))
		}
		inHundredths[i] = h
		decimals = max(decimals, d)
	}
	scale := pow10(maxDecimals - decimals)
	for i := range inHundredths {
		inHundredths[i] /= scale
	}
	return inHundredths, 100 * pow10(decimals), nil
}

// parsePercent parses one step such as "25" or "0.05" into hundredths of a
// percent and the number of decimals it needs (trailing zeros dropped).
func parsePercent(s string) (h int32, decimals int, err error) {
	whole, frac, hasPoint := strings.Cut(s, ".")
	if !isDigits(whole) || (hasPoint && !isDigits(frac)) {
		return 0, 0, fmt.Errorf("(%q) is not a decimal number", s)
	}
	if len(frac) > maxDecimals {
		return 0, 0, fmt.Errorf("(%s) has more than %d decimals", s, maxDecimals)
	}
	w, err := strconv.ParseUint(whole, 10, 32)
	if err != nil || w > 100 {
		return 0, 0, fmt.Errorf("(%s) is more than 100", s)
	}
	frac = strings.TrimRight(frac, "0")
	f, _ := strconv.Atoi(frac + strings.Repeat("0", maxDecimals-len(frac))) // digits only, at most 2
	h = int32(w)*100 + int32(f)
	if h == 0 || h > hundredths {
		return 0, 0, fmt.Errorf("(%s) is not > 0 and <= 100", s)
	}
	return h, len(frac), nil
}

// isDigits reports whether s is one or more ASCII decimal digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// pow10 returns 10^n for small n >= 0.
func pow10(n int) int32 {
	p := int32(1)
	for range n {
		p *= 10
	}
	return p
}

// FormatWeight formats weight out of total as a percentage with no more
// decimals than it needs: 5/1000 is "0.5%", 1/10000 is "0.01%", 25/100 is
// "25%". It is exact for every total ParseSteps returns; a weight whose
// percentage has no finite decimal form (never the case for a Config's Total)
// is rounded to 2 decimals and marked with "~". A total <= 0 is shown as
// "weight/total".
func FormatWeight(weight, total int32) string {
	if total <= 0 {
		return fmt.Sprintf("%d/%d", weight, total)
	}
	percent := big.NewRat(int64(weight)*100, int64(total))
	decimals, exact := percent.FloatPrec()
	if !exact {
		return "~" + percent.FloatString(maxDecimals) + "%"
	}
	return percent.FloatString(decimals) + "%"
}
