package strategy

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
)

// cookieHeader is the request header that carries cookies.
const cookieHeader = "cookie"

// headerName is what Istio accepts as the name of a header to match: lowercase.
var headerName = regexp.MustCompile(`^[-_a-z0-9]+$`)

// Texts of the problems of conditions.
const (
	validMatch      = `"exact:<value>", "prefix:<value>" or "regex:<RE2 expression matching the whole value>", e.g. "exact:insider"`
	validHeaderName = `a lowercase header name after meshcanary.io/strategy.header. (letters, digits, "-" and "_"), ` +
		`as Istio matches lowercase header names only, e.g. meshcanary.io/strategy.header.x-canary`
	validQueryName = `a query parameter name after meshcanary.io/strategy.query., e.g. meshcanary.io/strategy.query.preview`
	validOneCookie = `one condition on cookies only: Istio matches one expression on the cookie header, so use one ` +
		`meshcanary.io/strategy.cookie.<name> key and no meshcanary.io/strategy.header.cookie`
)

// parseConditions parses every A/B condition key, ordered by key, and
// reports the invalid ones (and every cookie condition when there are
// several).
func parseConditions(annotations map[string]string, problem func(key, value, valid string)) []istio.Condition {
	keys := slices.Sorted(func(yield func(string) bool) {
		for full := range annotations {
			if key, ok := strings.CutPrefix(full, config.Prefix); ok && !yield(key) {
				return
			}
		}
	})
	var conds []istio.Condition
	var cookieKeys []string
	for _, key := range keys {
		raw := annotations[config.Prefix+key]
		c, ok, err := parseCondition(key, strings.TrimSpace(raw))
		switch {
		case !ok:
			continue
		case err != nil:
			problem(key, raw, err.Error())
			continue
		}
		if c.Name == cookieHeader {
			cookieKeys = append(cookieKeys, key)
		}
		conds = append(conds, c)
	}
	if len(cookieKeys) > 1 {
		for _, key := range cookieKeys {
			problem(key, annotations[config.Prefix+key], validOneCookie)
		}
	}
	return conds
}

// parseCondition parses the annotation key (without config.Prefix) with
// value v; ok is false when key is not a condition key.
func parseCondition(key, v string) (c istio.Condition, ok bool, err error) {
	if name, found := strings.CutPrefix(key, KeyHeader); found {
		c, err = headerCondition(name, v)
		return c, true, err
	}
	if name, found := strings.CutPrefix(key, KeyCookie); found {
		c, err = cookieCondition(name, v)
		return c, true, err
	}
	if name, found := strings.CutPrefix(key, KeyQuery); found {
		if name == "" {
			return c, true, errors.New(validQueryName)
		}
		op, value, err := parseMatch(v)
		return istio.Condition{In: istio.InQuery, Name: name, Op: op, Value: value}, true, err
	}
	return c, false, nil
}

// headerCondition parses a condition on the header name.
func headerCondition(name, v string) (istio.Condition, error) {
	if !headerName.MatchString(name) {
		return istio.Condition{}, errors.New(validHeaderName)
	}
	op, value, err := parseMatch(v)
	return istio.Condition{In: istio.InHeader, Name: name, Op: op, Value: value}, err
}

// cookieCondition parses a condition on the cookie name: a regular
// expression on the cookie header that finds the cookie with a matching
// value (exact, prefix or an RE2 expression for the whole value).
func cookieCondition(name, v string) (istio.Condition, error) {
	if !cookieName.MatchString(name) {
		return istio.Condition{}, errors.New("a cookie name after meshcanary.io/strategy.cookie. of " + validCookieName +
			", e.g. meshcanary.io/strategy.cookie.tier")
	}
	op, value, err := parseMatch(v)
	if err != nil {
		return istio.Condition{}, err
	}
	switch op {
	case istio.Exact:
		value = regexp.QuoteMeta(value)
	case istio.Prefix:
		value = regexp.QuoteMeta(value) + `[^;]*`
	case istio.Regex:
		if strings.HasPrefix(value, "^") || (strings.HasSuffix(value, "$") && !strings.HasSuffix(value, `\$`)) {
			return istio.Condition{}, fmt.Errorf("%s (the cookie's expression is matched against its whole value: "+
				"leave out ^ and $)", validMatch)
		}
	}
	return istio.Condition{In: istio.InHeader, Name: cookieHeader, Op: istio.Regex, Value: istio.CookieRegex(name, value)}, nil
}

// parseMatch parses "exact:<value>", "prefix:<value>" or "regex:<RE2>".
// Prefixes and expressions must not be empty, and no value may hold a
// control character.
func parseMatch(v string) (istio.Operator, string, error) {
	kind, value, _ := strings.Cut(v, ":")
	op := istio.Operator(kind)
	switch {
	case op != istio.Exact && op != istio.Prefix && op != istio.Regex:
		return "", "", errors.New(validMatch)
	case hasControl(value):
		return "", "", fmt.Errorf("%s (the value holds a control character)", validMatch)
	case value == "" && op != istio.Exact:
		return "", "", fmt.Errorf("%s (an empty %s matches everything)", validMatch, op)
	}
	if op == istio.Regex {
		if _, err := regexp.Compile(value); err != nil {
			return "", "", fmt.Errorf("%s (%w)", validMatch, err)
		}
	}
	return op, value, nil
}
