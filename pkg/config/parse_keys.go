package config

import (
	"fmt"
	"slices"
	"strings"
)

// reservedKeys are meshcanary.io/ annotation keys (without Prefix) that other
// packages own, so Parse does not report them as unknown.
var reservedKeys = []string{"status", "command", "routes-for", "revision"}

// reservedKeyPrefixes start meshcanary.io/ annotation keys (without Prefix)
// that the gates, strategies and notifications parse.
var reservedKeyPrefixes = []string{"gate.", "strategy.", "notify."}

// maxSuggestDistance is the largest edit distance between an unknown key and
// a known one for the known one to be suggested.
const maxSuggestDistance = 2

// unknownKeys returns a problem, in no particular order, for every meshcanary.io/
// annotation that is neither a configuration key nor reserved.
func unknownKeys(annotations map[string]string) Problems {
	var problems Problems
	for full, v := range annotations {
		key, ours := strings.CutPrefix(full, Prefix)
		if !ours || isKnown(key) {
			continue
		}
		problems = append(problems, Problem{Key: full, Value: v, Valid: validKeys(key)})
	}
	return problems
}

// isKnown reports whether key (without Prefix) is a configuration key or
// reserved for another package.
func isKnown(key string) bool {
	if slices.Contains(reservedKeys, key) {
		return true
	}
	for _, f := range fields {
		if f.key == key {
			return true
		}
	}
	for _, p := range reservedKeyPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// validKeys says that key is unknown, suggests the closest configuration key
// when it looks like a typo, and lists the configuration keys.
func validKeys(key string) string {
	names := make([]string, len(fields))
	best, bestDistance := "", maxSuggestDistance+1
	for i, f := range fields {
		names[i] = f.key
		if d := editDistance(key, f.key); d < bestDistance {
			best, bestDistance = f.key, d
		}
	}
	hint := ""
	if best != "" {
		hint = fmt.Sprintf("did you mean %s%s? ", Prefix, best)
	}
	return fmt.Sprintf("an unknown key; %svalid keys are %s followed by one of %s, or by a key starting with %s",
		hint, Prefix, strings.Join(names, ", "), strings.Join(reservedKeyPrefixes, ", "))
}

// editDistance is the Levenshtein distance between a and b in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
