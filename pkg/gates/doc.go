// Package gates judges a canary at each evaluation of a step: every
// configured gate answers Pass, Hold (not enough evidence yet) or Fail
// (with the measured value, the threshold and a reason), and [Combine]
// reduces the answers to one [Result] for the stepper.
//
// With no gates configured the answer is always Pass and a release
// progresses by time alone.
//
// [Parse] reads the meshcanary.io/gate.* annotations into [Specs];
// [Evaluator.Check] reports the specs an Evaluator cannot run (a webhook
// the operator did not allow, no Prometheus); [Evaluator.Evaluate] asks
// every gate about one [Release]; [Evaluator.Forget] drops what the gates
// remember of a release once it ended.
//
// Telemetry gates read Prometheus with one instant query per gate kind and
// namespace, shared by every canary evaluated within a short TTL, and keep
// per-release baselines of the cumulative counters in memory. The relative
// error-rate gate is a sequential test (package seqtest); queries are built
// and user templates checked by package promql. docs/gates-method.md
// explains the method.
package gates
