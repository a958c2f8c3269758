// Package strategy parses the meshcanary.io/strategy.* annotations of an
// opted-in Deployment into a [Strategy]: A/B routing by request attributes
// (headers, cookies, query parameters), the weight schedule or a match-only
// one, mirroring before the first step and sticky sessions.
//
// Parsing is pure, like package config's: [Parse] returns the strategy and
// every [config.Problem] found, each naming the key, the value and what would
// be valid. Invalid input never reaches the routes: Istio's rules (lowercase
// header names, RE2 regular expressions) are checked here.
//
// [Strategy.Routes] turns the strategy into the [istio.Shaping] for where a
// release is ([Stage]), and [Strategy.Steps] into the weight schedule the
// stepper runs.
package strategy
