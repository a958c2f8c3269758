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
// A Deployment promoted by role swap runs its primary and canary in two
// slots (see config.Slot), and [Target.Slot] names the primary's. The
// DestinationRule then always carries both slots' subsets, "slot-a" and
// "slot-b" (pods labelled meshcanary.io/slot), and the routes send the
// primary's weight to [Target.PrimarySubset] and the canary's to
// [Target.CanarySubset]; a promotion swaps the slots, so the next write
// routes everything to the former canary's subset. The subsets of either
// mode are meshcanary's wherever routes are read, so a route written in one
// mode is rewritten in the other, and opt-out removes all four.
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
// # Topologies
//
// Istio reads a host without a dot in the namespace of the object that
// holds it, so [MatchesHost] accepts the short name only in the Service's
// namespace and "name.ns", "name.ns.svc" and the FQDN anywhere; every
// function that reads a VirtualService reads it from its own namespace.
// [DesiredVirtualService] therefore splits, with one Routing and the same
// exact weights, a mesh VirtualService next to the Service, a mesh or
// gateway-bound one in another namespace, and a delegate (a VirtualService
// without hosts that a root's delegate route points to). A root's delegate
// routes have no destinations and stay as they are.
//
// [Discover] lists every VirtualService that routes to the Service besides
// the home one and gives each a [Verdict] within a [Scope]: Split, or not
// split because the operator does not allow its namespace, the user's list
// leaves it out, or no split is safe (another controller generates it,
// every route to the Service also sends elsewhere, or the DestinationRule
// with the subsets is not exported to its namespace or its root's).
// [Reach.Message] says where the traffic of one that is not split goes.
// [ObserveRoutingAll] and [ReferencedSubsetsAll] read the VirtualServices
// of one release as one: a step is applied when every one carries its
// weight, and a subset may leave the DestinationRule only when none names
// it.
//
// # Route builder
//
// The rewrite of one route is the split type in routes.go, applied by
// DesiredVirtualService to each route for the service. A [Shaping] in the
// [Routing] extends it for http routes (managed.go, mirror.go), while the
// canary has weight or [Routing.CanaryReady] is set:
//
//   - A/B by request attributes: above each http route for the service, a
//     copy of it with the user's matches AND-ed with the strategy's header
//     and query conditions and the canary as sole destination. A user match
//     that already tests one of those headers is left out of the copy.
//   - Mirroring: the split gets an entry in mirrors to the canary with an
//     exact percentage; a user's mirror moves into mirrors while it lasts
//     (Istio refuses both) and comes back afterwards. ReferencedSubsets
//     counts mirrors, so the canary subset outlives them.
//   - Sticky sessions: above each route, a copy matching the cookie, as for
//     A/B, and a Set-Cookie response header on the split's canary
//     destination, as Flagger's session affinity does.
//
// Inserted routes are named with [ManagedRoutePrefix]. DesiredVirtualService
// and RestoredVirtualService remove them and meshcanary's mirror before they
// rebuild or restore, so a Routing without a strategy gives exactly the
// routes of plain weights, and ObserveRouting ignores them.
package istio
