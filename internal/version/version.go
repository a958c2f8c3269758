// Package version holds the build's version, set with -ldflags.
package version

// Version is the release version, set at build time with
// -ldflags "-X github.com/meshcanary/meshcanary/internal/version.Version=v1.2.3".
var Version = "dev"
