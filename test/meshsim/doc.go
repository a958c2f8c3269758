// Package meshsim stands in for the Envoy data plane of an Istio mesh where
// no proxy can run: it watches Services, Pods, VirtualServices and
// DestinationRules (networking.istio.io/v1) through client-go informers,
// sends requests to target services, routes each one as a sidecar would,
// lets the chosen pod answer as its annotations say, and exports Istio's
// standard metrics for a real Prometheus to scrape. The end-to-end suite and
// `make demo` use it; cmd/meshsim runs it as a process.
//
// # Traffic
//
// Each [Target] sends requests to one service with Poisson arrivals
// (exponential gaps, mean 1/Rate) paced by an injected clock; a request is
// drawn from the target's [Shape]s, so headers and cookies for A/B routes
// can be exercised. [Sim.Send] sends a single request at once. Every random
// draw (arrivals, weights, pods, errors, latency) comes from one injected
// math/rand/v2 source, so a seeded run routes the same way each time.
//
// # Routing
//
// A request comes from a sidecar, or, with [Request].Gateway and Host (a
// [Target] with Gateway), from an ingress gateway's Envoy: then the
// VirtualService bound to that Gateway whose hosts match Host routes it,
// and [Sim.CountsThrough] counts it apart from the sidecars' requests. A
// delegate route (a child VirtualService without hosts, in any namespace)
// is followed to the child, whose routes are tried in order once the
// root's match applied.
//
// [Route] follows the VirtualService bound to the mesh gateway whose hosts
// include the requested service (short name, name.namespace or FQDN,
// resolved in the VirtualService's namespace; an exact host beats a
// wildcard; the oldest wins a tie). Its HTTP routes are tried in order; a
// route applies when it has no match block or one block whose conditions
// all hold: uri, scheme, method, authority (exact, prefix or RE2 regex
// matched against the whole value), headers (cookies are the "cookie"
// header), withoutHeaders, queryParams, port (the service's first port),
// sourceNamespace, sourceLabels, gateways and ignoreUriCase. The route's
// destination is drawn as Envoy's weighted clusters do: a uniform integer
// below the sum of the weights (a lone destination gets everything, even
// with weight 0). The destination's subset labels come from the
// DestinationRule for that host in the service's namespace, and the pod is
// chosen uniformly among the Ready, non-terminating pods that the Service
// selects and that carry the subset labels. Without a VirtualService any
// Ready pod of the service answers.
//
// The mesh answers itself, as Envoy does, when a request cannot reach a pod:
// 503 with response flag UH when the subset (or service) has no Ready pod;
// 503 NC when the route's service or subset does not exist (Envoy has no
// cluster for it: modern Envoy says NC where Envoy before 1.18 said NR);
// 404 NR when no route matches or the host is unknown. Redirects, direct
// responses and fault injection (abort: FI; fixedDelay: DI; at the given
// percentage, none when absent) are honoured. Mirroring (mirror with
// mirrorPercentage, 100 % when absent, and each of mirrors with its
// percentage) sends a copy to a pod of the mirror destination: the copy is
// answered, recorded by that pod's destination proxy and charged to its CPU,
// and counted in [Counts].Mirrored, but the caller never sees it. The
// response headers a route's and its drawn destination's header rules set
// or add (a sticky session's Set-Cookie) are returned in
// [Decision].ResponseHeaders, so a caller can keep cookies as a browser would.
//
// # Propagation
//
// By default every request is routed with the simulator's own caches, so
// a VirtualService or DestinationRule change applies to the next request.
// With [Options].Propagation, requests go through simulated caller
// proxies that each see every such change 1 to 5 s late (bounds given),
// drawn independently per proxy and per change, in the order the changes
// were made, as Envoy gets them from istiod's xDS push; Services and pods
// are seen at once. A controller that scales a canary down as soon as its
// own cache has the route without it then shows 503 UH from the proxies
// that still route to the canary (cmd/meshsim: --propagation 1s-5s).
//
// # xDS mode
//
// With [Options].Routes, a [RouteTable], requests are routed by a control
// plane's pushes instead: test/xds implements the table over an ADS stream to
// istiod as one sidecar, so routes, weights and subset endpoints are what
// istiod sent (endpoints from EndpointSlices, Ready pods only) and arrive as
// late as istiod sends them. The table answers 404 NR when no virtual host or
// route matches, 503 NC when the route names a cluster the sidecar does not
// have (or whose first endpoints have not arrived: Envoy is still warming it)
// and 503 UH when the cluster has no healthy endpoint; the simulator has the
// pod with the chosen endpoint's IP answer, and answers 503 UF when no
// watched pod has it. A pod deleted in this mode answers at its IP until its
// terminationGracePeriodSeconds end (kwok deletes pod objects at once, where
// a real pod runs on while its endpoint leaves EDS). Faults, mirrors, response headers and gateway requests
// are not routed in this mode (a request through a gateway is 404 NR).
//
// # Pod behaviour
//
// Each pod answers as its own annotations say (see [ParseBehaviour]), so a
// "bad release" is a pod template annotation change:
//
//	meshsim.io/error-rate       probability of an error answer, 0..1 (default 0)
//	meshsim.io/error-code       status of an error answer, 500..599 (default 500)
//	meshsim.io/latency-ms       median latency in ms (default 5); the mean
//	                            when the spread is exponential
//	meshsim.io/latency-spread   log-normal shape σ (default 0.5; 0 = fixed)
//	                            or "exponential"
//	meshsim.io/cpu-per-request  CPU seconds per request (default 0.001)
//	meshsim.io/memory-bytes     working set in bytes (default 33554432)
//
// An invalid value keeps its default and is logged.
//
// # Metrics
//
// istio_requests_total and istio_request_duration_milliseconds (Envoy's
// default buckets, [EnvoyBuckets]) carry Istio's labels reporter,
// source_workload, source_workload_namespace, destination_workload,
// destination_workload_namespace, destination_service (the FQDN),
// destination_service_name, destination_service_namespace, response_code,
// response_flags ("-" when none), grpc_response_status (""),
// request_protocol ("http") and connection_security_policy ("mutual_tls" at
// the destination, "unknown" at the source, as Istio reports it). A request
// a pod answers is recorded by both reporters; one the mesh answers itself
// only by reporter="source", with destination_workload "unknown"; a mirrored
// copy only by reporter="destination". destination_workload is
// [WorkloadName]: the Deployment's name for a Deployment's pod, so the
// primary reports <name>-primary and the canary <name>.
// container_cpu_usage_seconds_total and container_memory_working_set_bytes
// (labels namespace, pod, container: the first container) exist for every
// watched pod and disappear with it.
//
// [Sim.Counts] returns what callers of one service saw (requests by
// workload, subset, code and flags, plus mirrored copies); Counts.Sub of two
// snapshots measures one interval. GET /share serves the same as JSON.
//
// # How it differs from Envoy
//
// Requests are not real: there are no sockets, no concurrency limits and
// no waiting, and latency is a number drawn and recorded, not spent. The
// load balancer picks uniformly at random, not round-robin or least-request.
// Retries, timeouts, circuit breaking, outlier detection, locality and
// trafficPolicy are not modelled; neither are exportTo, DestinationRules
// outside the service's namespace, tcp and tls routes, Gateway objects (a
// request names the Gateway it enters through; no listener, port or TLS is
// checked), or ServiceEntries (a host that is not a cluster Service is
// unknown). Mirrored copies are sent only when the
// route forwards the request (not when a fault aborts it, nor for redirects
// and direct responses), and Istio's deprecated integer percent fields are
// ignored. A simulator stalled for
// more than a second skips the arrivals it missed instead of bursting.
package meshsim
