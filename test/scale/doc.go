//go:build scale

// Package scale measures meshcanary at scale on a local control plane
// (build tag scale). BenchmarkScale (`make bench-scale N=10`) prints its
// figures beside those Flagger 1.44.0 gave on the same work (the team's
// anchors), with meshcanary's targets. BenchmarkCompare (`make
// bench-compare N=10`) measures four releases of the same workload one
// after the other, each on a fresh cluster: the cluster floor twice (two
// promotions), Flagger 1.44.0 (bin/flagger, from tools/flagger) and
// meshcanary, and prints the floors' table and one table with the floor,
// Flagger and meshcanary and the ratios, and a plot of every canary's
// weight over time (docs/performance.md). With -only-floor (`make
// bench-floor N=10`) it measures the two floors alone.
//
// # The cluster floor
//
// The cluster work of a release done by a script with no controller
// (floor_test.go), promoted two ways. By the primary's rollout, as
// meshcanary does: per canary, a copy of the Deployment at 0 replicas takes
// the new image and the primary's replicas; once it is available it is
// left for 5 × 10 s (the schedule); then the primary takes the new image;
// once rolled out, the copy is scaled back to 0. Its release time is the
// copy's patch → the primary rolled out; the compare table's floor is this
// one. By role swap (docs/design.md, not built in the controller): the
// user's Deployment (at 0) takes the new image, an idle slot Deployment
// the new image and the primary's replicas; once available it is left for
// the schedule; the roles then swap, which is a route write with no
// cluster work, and the old primary's slot is scaled to 0. Its release
// time is the patch → the end of the schedule. Both count the Pods created.
//
// # Flagger
//
// Flagger runs unmodified with -mesh-provider istio against the same
// counting proxy, its CRDs applied from the module's
// artifacts/flagger/crd.yaml, one Canary per Deployment (interval 10 s,
// stepWeight 10, maxWeight 50, threshold 100, no metrics) and
// -metrics-server at a closed port: with no metrics it never queries one.
// Its phase is read from the Canary's status (Initialized counts as
// Ready), its weights from the VirtualService it writes (the
// <name>-canary destination).
//
// # The work
//
// N canaries in one namespace, each a Deployment of -replicas replicas (1
// for bench-scale, 2 for bench-compare; kwok makes its pods Ready) and a
// Service, labelled meshcanary.io/canary=enabled, with steps
// "10,20,30,40,50" of 10 s and no gates. The Deployments are created
// and rolled out first, then bin/meshcanary starts and adopts them (phase
// Ready). After a 30 s idle window every image is patched at once, and the
// run waits until every status says Succeeded and every canary's
// Deployment is back at 0 replicas (the release's window, over which
// requests and CPU are counted), then idles 30 s again.
//
// With -promotion swap every canary also carries meshcanary.io/promotion:
// swap: meshcanary runs it in two slot Deployments (<name>-slot-a,
// <name>-slot-b) and the user's Deployment, at 0 replicas once adopted,
// only holds the template. The canary's weight is then the share of the
// subset of the slot that is not the primary's in the status the same
// VirtualService version carries (the write that swaps the roles reads 0),
// the release's window ends when the former primary's slot is back at 0
// replicas, the controller's observed-generation lags count the slots'
// generations too, and the Pods created are the slots' (the namespace's
// Pods are counted whatever owns them). A release's step 0 is recorded on
// the canary's slot (its meshcanary.io/release annotation, read with
// stepper.Recorded against the home's last status) before the home's
// status says Progressing at step 1: a canary counts as Progressing at the
// earlier of the two. BenchmarkCompare's meshcanary run
// follows the flag as well; its floors do not.
//
// # How each figure is taken
//
//   - Times (release, first weight write, reaction, step lag) come from
//     watches the benchmark holds as admin (observe_test.go): the release
//     status (status_test.go says where each controller keeps it) and the
//     VirtualServices (the canary's share of each route). Pods created
//     are counted from a watch too.
//     A time is when the benchmark received the event, against when it sent
//     the canary's image patch.
//
//   - The controller's step lag histogram (meshcanary_step_lag_seconds) is
//     read as a delta over the release, its p99 interpolated as Prometheus'
//     histogram_quantile does.
//
//   - Where the reaction's time goes (reaction_test.go): /metrics is also
//     scraped, and the proxy's counts read, once every canary's status says
//     Progressing; over that window the benchmark prints the reconciles, the
//     workqueue wait and reconcile duration histograms and the controller's
//     requests, the reaction counted from each patch's answer, its three legs
//     by the controller's first write for each canary (the proxy's write
//     log) and the machine's CPU by process (/proc, matched by pid).
//     The API server's CPU profile over the 10 s after the patches is kept
//     in the run folder (profile_test.go).
//
//   - The benchmark's own watches and patches of Kubernetes' kinds use
//     protobuf (kubeclient_test.go), as kube-controller-manager's do; the
//     controller under test uses its own content type.
//
//   - Writes come from meshcanary_api_writes_total (Events excluded) and are
//     cross-checked against a counting proxy: the controller reaches the
//     apiserver only through a plain-HTTP reverse proxy on loopback
//     (cluster.Proxy, shared with the e2e kill test) that
//     forwards with the cluster admin's client certificate and counts every
//     request by verb (get, list, watch, create, update, patch, delete) and
//     resource. Reads (GET and LIST, watches apart) are counted there.
//
//   - CPU is the delta of process_cpu_seconds_total over the release phase;
//     bench-compare reads utime + stime from /proc/<pid>/stat instead, the
//     same way for both controllers.
//     Memory is read from /proc/<pid>/status (VmHWM, the kernel's peak, and
//     VmRSS sampled every second), so measuring costs the controller nothing;
//     /metrics is scraped only at the edges of each phase (and once at the
//     end of the reaction).
//
//   - Holds are the statuses that entered Holding during the release, counted
//     by what the step waited for (the status message).
//
// The run folder under <repo>/.e2e/ keeps every process log (the
// controller's in meshcanary.log, at -log-level), the table
// (figures-<N>.md) and timeline-<N>.txt: per canary, every phase, canary
// weight and rollout state (generation, observed generation, replicas) the
// watches saw, in seconds from the first image patch; writes-<N>.txt, the
// controller's writes; the API server's /metrics before and after the
// release and apiserver-cpu-<N>.pprof.
package scale
