// Package config parses the meshcanary.io/* annotations of an opted-in
// Deployment into a [Config].
//
// Parsing is pure: it takes the Deployment's name and annotations and returns
// the configuration together with every [Problem] found. A problem names the
// annotation key, the value found and what would be valid, so that the
// controller can report it in the status annotation, as a Warning Event and in
// the log without touching traffic.
//
// The label and annotation names shared by every package live here too.
package config
