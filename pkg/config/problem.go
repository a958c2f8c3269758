package config

import (
	"fmt"
	"strings"
)

// Problem is one invalid annotation: the key, the value found and what would
// be valid.
type Problem struct {
	// Key is the full annotation key, for example "meshcanary.io/steps".
	Key string `json:"key"`
	// Value is the value found.
	Value string `json:"value"`
	// Valid says what would be valid.
	Valid string `json:"valid"`
}

// Error formats the problem as `annotation KEY="VALUE": VALID`.
func (p Problem) Error() string {
	return fmt.Sprintf("annotation %s=%q: %s", p.Key, p.Value, p.Valid)
}

// Problems is every problem found in one Deployment's annotations.
type Problems []Problem

// Error joins the problems with "; ".
func (ps Problems) Error() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Error()
	}
	return strings.Join(parts, "; ")
}
