package config

import (
	"errors"
	"net/url"
	"time"
)

// Hooks are the release hooks of a Deployment: webhooks called once per
// release at a fixed point, each given up to Retries more attempts of at
// most Timeout each. A URL is "" when its hook is not set. Whether a URL
// may be called is the operator's choice (the gate webhook allowlist),
// checked by the controller, not by Parse.
type Hooks struct {
	// PreRelease is called before the first step; it may refuse the
	// release, which then rolls back without moving traffic.
	PreRelease string
	// PostPromotion is called once a promotion succeeded.
	PostPromotion string
	// PostRollback is called once the traffic is back on the primary after
	// a rollback.
	PostRollback string
	// Timeout bounds one call.
	Timeout time.Duration
	// Retries is how many more attempts follow a failed call.
	Retries int
}

// Defaults and bounds of the hook annotations.
const (
	defaultHookTimeout = 10 * time.Second
	maxHookTimeout     = 30 * time.Second
	defaultHookRetries = 3
	maxHookRetries     = 10
)

// parseHookURL accepts an absolute http(s) URL without user information.
func parseHookURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", errors.New(`an absolute http or https URL without user information, e.g. "https://hooks.example.com/release", under a prefix the operator allows (--gate-webhook-allow)`)
	}
	return v, nil
}

// parseHookTimeout accepts a duration from 1s to maxHookTimeout: a call
// holds one of the controller's workers for at most that long.
func parseHookTimeout(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < minDuration || d > maxHookTimeout {
		return 0, errors.New(`a Go duration from 1s to 30s, e.g. "10s"`)
	}
	return d, nil
}
