package gates

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// allowedPrefix is one entry of Options.WebhookAllow.
type allowedPrefix struct {
	raw          string
	scheme, host string
	path         string // without a trailing slash
}

func parseAllowedPrefix(s string) (allowedPrefix, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return allowedPrefix{}, fmt.Errorf("webhook allow prefix %q: want an http(s) URL with a host and an optional path", s)
	}
	return allowedPrefix{raw: s, scheme: u.Scheme, host: strings.ToLower(u.Host), path: strings.TrimSuffix(u.EscapedPath(), "/")}, nil
}

// matches compares parsed URLs rather than strings, so that the prefix
// "https://hooks.example.com" allows neither
// "https://hooks.example.com.evil.test/" nor "https://hooks.example.com@evil.test/",
// and "https://hooks.example.com/ok" does not allow "/ok/../admin".
func (p allowedPrefix) matches(u *url.URL) bool {
	if u.Scheme != p.scheme || strings.ToLower(u.Host) != p.host || u.User != nil {
		return false
	}
	if slices.Contains(strings.Split(u.Path, "/"), "..") {
		return false
	}
	path := u.EscapedPath()
	return p.path == "" || path == p.path || strings.HasPrefix(path, p.path+"/")
}

// allowed reports whether a webhook URL is under an allowed prefix.
func (w *webhooks) allowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	for _, p := range w.allow {
		if p.matches(u) {
			return true
		}
	}
	return false
}

// valid says which URLs are allowed.
func (w *webhooks) valid() string {
	if len(w.allow) == 0 {
		return "no webhook URL is allowed: the operator allows prefixes with the controller flag --gate-webhook-allow"
	}
	raws := make([]string, len(w.allow))
	for i, p := range w.allow {
		raws[i] = p.raw
	}
	return "a URL under one of the prefixes the operator allowed: " + strings.Join(raws, ", ")
}
