package strategy

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
)

// KeyPrefix starts every strategy annotation key, after config.Prefix.
const KeyPrefix = "strategy."

// Annotation keys of a strategy, without config.Prefix. A/B conditions are
// KeyHeader, KeyCookie or KeyQuery followed by the attribute's name.
const (
	KeyHeader         = KeyPrefix + "header."
	KeyCookie         = KeyPrefix + "cookie."
	KeyQuery          = KeyPrefix + "query."
	KeySchedule       = KeyPrefix + "schedule"
	KeyMirror         = KeyPrefix + "mirror"
	KeyMirrorDuration = KeyPrefix + "mirror-duration"
	KeySticky         = KeyPrefix + "sticky"
	KeyStickyCookie   = KeyPrefix + "sticky-cookie"
	KeyStickyMaxAge   = KeyPrefix + "sticky-max-age"
)

// The schedules of meshcanary.io/strategy.schedule.
const (
	ScheduleWeights   = "weights"
	ScheduleMatchOnly = "match-only"
)

// Defaults of the strategy annotations.
const (
	DefaultMirrorDuration = 5 * time.Minute
	DefaultStickyCookie   = "meshcanary-canary"
	DefaultStickyMaxAge   = 24 * time.Hour
)

// settings are the strategy's annotations other than conditions, parsed.
type settings struct {
	schedule       string
	mirror         *istio.Share
	mirrorDuration time.Duration
	sticky         bool
	stickyCookie   string
	stickyMaxAge   time.Duration
}

// setting parses the annotation config.Prefix+key into settings.
type setting struct {
	key string
	// set parses the trimmed value; its error says what is valid.
	set func(s *settings, v string) error
}

// settingKeys are the annotations other than conditions.
var settingKeys = []setting{
	{KeySchedule, func(s *settings, v string) (err error) { s.schedule, err = parseSchedule(v); return err }},
	{KeyMirror, func(s *settings, v string) (err error) { s.mirror, err = parseShare(v); return err }},
	{KeyMirrorDuration, func(s *settings, v string) (err error) { s.mirrorDuration, err = config.ParseDuration(v); return err }},
	{KeySticky, func(s *settings, v string) (err error) { s.sticky, err = config.ParseBool(v); return err }},
	{KeyStickyCookie, func(s *settings, v string) (err error) { s.stickyCookie, err = parseCookieName(v); return err }},
	{KeyStickyMaxAge, func(s *settings, v string) (err error) { s.stickyMaxAge, err = parseSeconds(v); return err }},
}

// Parse reads the strategy from a Deployment's annotations. It returns every
// problem found, ordered by key; on problems the Strategy must not be used.
//
// Absent annotations take their defaults (plain weights); present ones must
// be valid (surrounding spaces are ignored). Unknown meshcanary.io/strategy.
// keys are problems too. Settings of a feature that is off (a sticky-cookie
// without sticky "true") are checked but have no effect.
func Parse(annotations map[string]string) (Strategy, config.Problems) {
	s := settings{schedule: ScheduleWeights, mirrorDuration: DefaultMirrorDuration,
		stickyCookie: DefaultStickyCookie, stickyMaxAge: DefaultStickyMaxAge}
	var problems config.Problems
	problem := func(key, value, valid string) {
		problems = append(problems, config.Problem{Key: config.Prefix + key, Value: value, Valid: valid})
	}
	for _, f := range settingKeys {
		if v, ok := annotations[config.Prefix+f.key]; ok {
			if err := f.set(&s, strings.TrimSpace(v)); err != nil {
				problem(f.key, v, err.Error())
			}
		}
	}
	conds := parseConditions(annotations, problem)
	reportUnknownKeys(annotations, problem)

	st := Strategy{Match: conds, MatchOnly: s.schedule == ScheduleMatchOnly}
	if st.MatchOnly && len(conds) == 0 {
		problem(KeySchedule, annotations[config.Prefix+KeySchedule], validMatchOnly)
	}
	if s.mirror != nil {
		st.Mirror = &Mirror{Share: *s.mirror, Duration: s.mirrorDuration}
	}
	if s.sticky {
		if st.MatchOnly {
			problem(KeySticky, annotations[config.Prefix+KeySticky], validStickyMatchOnly)
		}
		st.Sticky = &Sticky{Cookie: s.stickyCookie, MaxAge: s.stickyMaxAge}
	}
	slices.SortStableFunc(problems, func(a, b config.Problem) int { return strings.Compare(a.Key, b.Key) })
	return st, problems
}

// Texts of the problems that involve several keys.
const (
	validMatchOnly = `"weights", or "match-only" together with at least one meshcanary.io/strategy.header.<name>, ` +
		`strategy.cookie.<name> or strategy.query.<name> key: match-only without a match sends nothing to the canary`
	validStickyMatchOnly = `"false" with the match-only schedule: sticky sessions keep the clients the weights send to ` +
		`the canary, and match-only sends none by weight`
)

// reportUnknownKeys reports every meshcanary.io/strategy. key that is
// neither a setting nor a condition.
func reportUnknownKeys(annotations map[string]string, problem func(key, value, valid string)) {
	for full, v := range annotations {
		key, ok := strings.CutPrefix(full, config.Prefix)
		if !ok || !strings.HasPrefix(key, KeyPrefix) || isKnown(key) {
			continue
		}
		problem(key, v, fmt.Sprintf("an unknown strategy key; valid keys are %s%s followed by %s", config.Prefix, KeyPrefix,
			"header.<name>, cookie.<name>, query.<name>, schedule, mirror, mirror-duration, sticky, sticky-cookie or sticky-max-age"))
	}
}

// isKnown reports whether key (without config.Prefix) is a strategy key.
func isKnown(key string) bool {
	for _, p := range []string{KeyHeader, KeyCookie, KeyQuery} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return slices.ContainsFunc(settingKeys, func(s setting) bool { return s.key == key })
}
