package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// minDuration is the shortest interval, deadline or hold accepted.
const minDuration = time.Second

// The parsers below turn one trimmed annotation value into a typed value. Their
// error says what would be valid and becomes a Problem's Valid text.

// ParseDuration parses a Go duration of at least one second, the rule of
// every duration annotation of meshcanary.
func ParseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < minDuration {
		return 0, errors.New(`a Go duration of at least 1s, e.g. "30s", "5m" or "1h30m"`)
	}
	return d, nil
}

// maxScaleDownDelay is the longest scale-down delay accepted.
const maxScaleDownDelay = time.Hour

// parseScaleDownDelay parses meshcanary.io/scale-down-delay: a duration
// from 0 (scale down as soon as the route without the canary is seen) to
// maxScaleDownDelay.
func parseScaleDownDelay(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > maxScaleDownDelay {
		return 0, errors.New(`a Go duration from 0s (scale the canary down as soon as its traffic is gone) to 1h, e.g. "30s" or "2m"`)
	}
	return d, nil
}

// parseInt parses a decimal integer in [lo, hi].
func parseInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("an integer from %d to %d", lo, hi)
	}
	return n, nil
}

// ParseBool accepts exactly "true" or "false", the rule of every boolean
// annotation of meshcanary.
func ParseBool(v string) (bool, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errors.New(`"true" or "false"`)
}

// parseServiceName accepts what the apiserver accepts as a Service name.
func parseServiceName(v string) (string, error) {
	if len(validation.IsDNS1035Label(v)) > 0 {
		return "", errors.New("the name of a Service in the namespace: a DNS-1035 label " +
			"(at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit)")
	}
	return v, nil
}

// parseObjectName accepts what the apiserver accepts as the name of a
// VirtualService.
func parseObjectName(v string) (string, error) {
	if len(validation.IsDNS1123Subdomain(v)) > 0 {
		return "", errors.New("the name of a VirtualService in the namespace: a DNS-1123 subdomain " +
			"(at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)")
	}
	return v, nil
}

// parsePrimaryName accepts a DNS-1123 label as the primary's name.
func parsePrimaryName(v string) (string, error) {
	if len(validation.IsDNS1123Label(v)) > 0 {
		return "", errors.New(validPrimaryName)
	}
	return v, nil
}

// validPrimaryName says what a valid meshcanary.io/primary-name value is.
const validPrimaryName = "a name for the primary Deployment other than the Deployment's own: a DNS-1123 label " +
	"(at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit)"

// validGateways says what a valid meshcanary.io/gateways value is.
const validGateways = `comma-separated gateways, each "mesh" or "[namespace/]name" ` +
	`(namespace a DNS-1123 label, name a DNS-1123 subdomain), e.g. "mesh,istio-system/public"`

// parseGateways parses a comma-separated list of Istio gateway references.
func parseGateways(v string) ([]string, error) {
	return parseList(v, validGateways, func(g string) bool {
		if g == "mesh" {
			return true
		}
		ns, name, qualified := strings.Cut(g, "/")
		if !qualified {
			name = ns
		} else if len(validation.IsDNS1123Label(ns)) > 0 {
			return false
		}
		return len(validation.IsDNS1123Subdomain(name)) == 0
	})
}

// validHosts says what a valid meshcanary.io/hosts value is.
const validHosts = `comma-separated hosts, each a DNS-1123 subdomain or one prefixed with "*.", ` +
	`e.g. "shop.example.com,*.shop.example.com"`

// parseHosts parses a comma-separated list of VirtualService hosts.
func parseHosts(v string) ([]string, error) {
	return parseList(v, validHosts, func(h string) bool {
		if strings.HasPrefix(h, "*.") {
			return len(validation.IsWildcardDNS1123Subdomain(h)) == 0
		}
		return len(validation.IsDNS1123Subdomain(h)) == 0
	})
}

// parseList splits v at commas, trims each entry and checks it with ok. The
// error is valid followed by the first entry that is not ok.
func parseList(v, valid string, ok func(string) bool) ([]string, error) {
	entries := strings.Split(v, ",")
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if !ok(e) {
			return nil, fmt.Errorf("%s (entry %d is %q)", valid, i+1, e)
		}
		entries[i] = e
	}
	return entries, nil
}

// parsePromotion accepts the ways a release is promoted.
func parsePromotion(v string) (Promotion, error) {
	switch p := Promotion(v); p {
	case PromotionRollout, PromotionSwap:
		return p, nil
	}
	return "", fmt.Errorf("%q (the default) or %q", PromotionRollout, PromotionSwap)
}

// parseApproval accepts the points where a release may wait for approval.
func parseApproval(v string) (Approval, error) {
	switch a := Approval(v); a {
	case ApprovalBeforeFirstStep, ApprovalBeforePromotion:
		return a, nil
	}
	return "", fmt.Errorf("%q or %q", ApprovalBeforeFirstStep, ApprovalBeforePromotion)
}
