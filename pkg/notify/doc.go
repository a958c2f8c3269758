// Package notify posts release milestones (started, step advanced, held,
// rolled back, promoted) to receivers the operator configures: generic JSON
// webhooks and Slack-compatible incoming webhooks.
//
// # Configuration
//
// The operator names receivers with controller flags ([Flags]):
// --notify-receiver NAME=KIND,url-file=PATH or NAME=KIND,url-env=VARIABLE.
// Webhook URLs usually hold tokens, so they come only from a file (a
// mounted Secret, re-read at every send) or the environment, never from a
// flag value or an annotation. A Deployment selects receivers by name with
// the annotation meshcanary.io/notify.receivers ([Notifier.Receivers]).
//
// # Delivery
//
// [FromEvents] turns the stepper's events of one decision into [Message]s;
// [Notifier.Notify] queues them and returns at once, so a release never
// waits for a receiver. One bounded queue (each receiver an equal share of
// it) feeds a small fixed pool of workers; there is no goroutine per
// canary. A failed send is retried with exponential backoff while the
// receiver's later messages wait behind it, so every receiver gets its
// messages in order, and a message is dropped when its receiver's share is
// full. Failures are logged and counted in meshcanary_notifications_total
// {receiver, result}; they are never fatal.
package notify
