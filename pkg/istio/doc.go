// Package istio computes the DestinationRule and VirtualService meshcanary
// wants, as pure functions of the live objects and the routing parameters.
// Objects passed in come from informer caches and are never modified: every
// function that returns an object returns a deep copy.
//
// # Subsets
//
// One DestinationRule for the Service's host carries the subsets "primary"
// (pods labelled meshcanary.io/role=primary) and "canary" (the
// pod-template-hash of the user's current ReplicaSet). A user's
// DestinationRule is patched in place; otherwise meshcanary creates and owns
// one. [DesiredDestinationRule] adds the canary subset only for a hash the
// caller passes, and the caller passes the hash it must keep while
// [ReferencedSubsets] says a route still names the canary, so a subset is in
// the DestinationRule before any route names it and leaves only after none
// does. [SubsetsReady] tells the controller when the VirtualService may name
// the canary.
//
// # Routes
//
// A route is for the service, and meshcanary's to split, when every one of its
// destinations is the Service (in any host form [MatchesHost] accepts) on one
// port, with no subset or one of meshcanary's. [DesiredVirtualService] rewrites
// exactly those routes, http, tls and tcp alike, into the primary alone (while
// the canary weight is 0) or the primary/canary pair with integer weights
// summing to the total, keeping the host string, port and header rules the
// user wrote. Everything else in the VirtualService is kept. Routes that send
// to the Service together with other destinations are left unchanged and
// named by [SkippedRoutes]: no exact split of them exists in general.
// [RestoredVirtualService] and [RestoredDestinationRule] undo the patch for
// opt-out, and return nil for objects meshcanary owns.
//
// # Route builder
//
// The rewrite of one route is the split type in routes.go, applied by
// DesiredVirtualService to each route for the service. The release
// strategies to come extend it without touching the rest:
//
//   - A/B by request attributes: for each http route for the service, a copy
//     with the user's matches AND-ed with the configured header, cookie or
//     query match and the canary as sole destination, inserted just above
//     it. Inserted routes carry a name prefix so that DesiredVirtualService
//     and RestoredVirtualService drop them before rebuilding.
//   - Mirroring: the split gains a mirror percentage, set as mirrors on each
//     http route for the service (ReferencedSubsets already counts mirrors).
//   - Sticky sessions: an inserted cookie-match route to the canary, as for
//     A/B, and a Set-Cookie response header on the pair's canary destination.
package istio
