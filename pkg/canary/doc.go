// Package canary reads everything an opted-in Deployment's meshcanary.io/
// annotations ask of its canary in one [Parse]: the release configuration
// of package config, the gates of package gates and the strategy of
// package strategy, with the strategy's schedule (match-only steps, the
// mirroring time) applied to the configuration.
//
// The controller, meshcanary lint, meshcanary render and meshcanary status
// all read annotations through [Parse], so they agree on the schedule and
// on the problems. Checks that need the controller's flags (the webhook
// allowlist, the notification receivers) are left to the controller.
package canary
