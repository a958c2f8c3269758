package strategy

import (
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
)

// The parsers below turn one trimmed annotation value into a typed value.
// Their error says what would be valid and becomes a Problem's Valid text.

// parseSchedule accepts the two schedules.
func parseSchedule(v string) (string, error) {
	if v != ScheduleWeights && v != ScheduleMatchOnly {
		return "", errors.New(`"weights" (matching requests go to the canary, the rest follows the steps) or ` +
			`"match-only" (only matching requests go to the canary)`)
	}
	return v, nil
}

// parseShare parses a percentage such as "0.5" exactly, as a step is.
func parseShare(v string) (*istio.Share, error) {
	steps, total, err := config.ParseSteps(v)
	if err != nil || len(steps) != 1 {
		return nil, errors.New(`a percentage of the traffic to copy to the canary, > 0 and <= 100 with at most 2 decimals, e.g. "0.5" or "10"`)
	}
	return &istio.Share{Weight: steps[0], Total: total}, nil
}

// parseSeconds parses a Go duration of whole seconds, at least one.
func parseSeconds(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second || d%time.Second != 0 {
		return 0, errors.New(`a Go duration of whole seconds, at least 1s, e.g. "1h" or "24h"`)
	}
	return d, nil
}

// cookieName is what meshcanary accepts as a cookie's name: a subset of
// RFC 6265's token that annotation keys can carry too.
var cookieName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// validCookieName says what a valid cookie name is.
const validCookieName = `1 to 64 letters, digits, "-", "_" and "."`

// parseCookieName accepts a cookie name.
func parseCookieName(v string) (string, error) {
	if !cookieName.MatchString(v) {
		return "", errors.New(`a cookie name of ` + validCookieName + `, e.g. "meshcanary-canary"`)
	}
	return v, nil
}

// hasControl reports whether v holds an ASCII control character, which no
// header or query value can carry.
func hasControl(v string) bool {
	return strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
