// Package xds connects to istiod the way an Envoy sidecar does, so the end-to-end
// suite sees the configuration a real mesh would route by.
//
// A [Client] opens one ADS stream (state of the world) to istiod's plaintext xDS
// port as the sidecar proxy of a pod ([Proxy]): it subscribes to every cluster
// (CDS) and listener (LDS), then to the endpoints (EDS) of every EDS cluster and
// to the route configurations (RDS) the listeners name, as Envoy does, and ACKs
// each response. Every response updates a [Snapshot] stamped with the time it
// arrived; [Client.Wait] returns the first snapshot that satisfies a condition.
//
// A [Table] routes the mesh simulator's requests by the latest snapshot: the
// simulator's xDS mode (meshsim.Options.Routes). TestScenariosInXDSMode runs
// the suite's traffic scenarios in that mode.
//
// The package is its own module (test/xds) so the Envoy API types stay out of
// the product's go.mod.
package xds
