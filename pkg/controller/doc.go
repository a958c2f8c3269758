// Package controller wires meshcanary together: informers filtered by the
// opt-in label, a rate-limited workqueue with one delayed item per canary
// (never a goroutine or ticker per canary), and a reconcile that gathers
// from the informer caches, decides with the pure functions of packages
// stepper, istio and workload, and writes only what changed, with
// optimistic concurrency.
//
// # Reconcile
//
// For each opted-in Deployment the reconcile
//
//  1. parses the annotations (invalid configuration is reported in the
//     status, as a Warning Event and in the log, and nothing else changes);
//  2. gathers [stepper.Observations] from the caches (and asks the gates
//     when [stepper.NeedsEvaluation] says a check is due);
//  3. calls [stepper.Next];
//  4. persists the decided status no later than the traffic it implies:
//     the DestinationRule's subsets, then the home VirtualService with the
//     routes and the status in one update, then the other split
//     VirtualServices;
//  5. records Events, notifications and metrics, once the decision is
//     persisted;
//  6. writes the primary Deployment, its HPA twin and the canary's
//     replicas, and schedules the next look with AddAfter, counted from
//     the decision rather than from the end of the writes, so a slow API
//     server does not delay the next step.
//
// A restart or a failed write at any point leaves a status that is ahead of
// the cluster; the next reconcile decides on it again and carries the
// writes forward, so weights never move backwards within a release.
//
// A DestinationRule subset is written before any VirtualService names it
// and changed only when no live route gives it weight, so no request is
// routed to a subset Envoy does not know.
package controller
