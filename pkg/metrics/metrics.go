package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Namespace prefixes every meshcanary metric name.
const Namespace = "meshcanary"

// Metrics holds the controller's metrics.
type Metrics struct {
	// Weight is the canary weight in percent, per canary.
	Weight *prometheus.GaugeVec
	// Phase is 1 for the canary's current phase and 0 for the others.
	Phase *prometheus.GaugeVec
	// Step is the current step (0 before stepping) and Steps the number of steps.
	Step  *prometheus.GaugeVec
	Steps *prometheus.GaugeVec
	// FailedChecks counts failed gate checks in the current release.
	FailedChecks *prometheus.GaugeVec
	// AwaitingApproval is 1 while the release waits for a promote command
	// (meshcanary.io/approval), 0 otherwise.
	AwaitingApproval *prometheus.GaugeVec
	// Releases counts finished releases by result.
	Releases *prometheus.CounterVec
	// ReleaseDuration observes the time from release start to its end.
	ReleaseDuration *prometheus.HistogramVec
	// StepLag observes applied minus scheduled time of each step.
	StepLag prometheus.Histogram
	// ReconcileErrors counts failed reconciles; ReconcileDuration times them.
	ReconcileErrors   prometheus.Counter
	ReconcileDuration prometheus.Histogram
	// Writes counts API writes by kind of object and verb.
	Writes *prometheus.CounterVec
	// GateEvaluationsLate counts gate evaluations that outlasted the gate
	// deadline and ended in the background.
	GateEvaluationsLate prometheus.Counter
	// PrimaryRepairs counts primaries found deleted or scaled to 0 while
	// idle and repaired, by cause.
	PrimaryRepairs *prometheus.CounterVec
	// HookCalls counts release hook calls by hook and outcome;
	// HookCallDuration times them by hook.
	HookCalls        *prometheus.CounterVec
	HookCallDuration *prometheus.HistogramVec
}

// canaryLabels name the canary of a per-canary series.
var canaryLabels = []string{"namespace", "deployment"}

// New creates the metrics and registers them on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Weight: gaugeVec(Namespace, "canary_weight_percent", "Canary traffic weight in percent of the service's traffic.", canaryLabels...),
		Phase: gaugeVec(Namespace, "canary_phase", "1 for the canary's current phase, 0 for the others.",
			"namespace", "deployment", "phase"),
		Step:         gaugeVec(Namespace, "canary_step", "Current step of the release, 0 before stepping.", canaryLabels...),
		Steps:        gaugeVec(Namespace, "canary_steps", "Number of steps of the release.", canaryLabels...),
		FailedChecks: gaugeVec(Namespace, "canary_failed_checks", "Failed gate checks in the current release.", canaryLabels...),
		AwaitingApproval: gaugeVec(Namespace, "canary_awaiting_approval",
			"1 while the release waits for a promote command (meshcanary.io/approval), 0 otherwise.", canaryLabels...),
		Releases: counterVec(Namespace, "releases_total", "Finished releases by result (succeeded, failed, superseded).",
			"namespace", "result"),
		ReleaseDuration: histogramVec(Namespace, "release_duration_seconds", "Time from the start of a release to its end, by result.",
			prometheus.ExponentialBuckets(10, 2, 12), "result"),
		StepLag: histogram("step_lag_seconds", "Time a step was applied minus the time it was scheduled.",
			[]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
		ReconcileErrors: counter("reconcile_errors_total", "Reconciles that returned an error and were retried."),
		ReconcileDuration: histogram("reconcile_duration_seconds", "Time spent in one reconcile.",
			prometheus.ExponentialBuckets(0.0005, 2, 14)),
		Writes: counterVec(Namespace, "api_writes_total",
			"Writes the Kubernetes API accepted, by object kind and verb; refused attempts are not counted.", "kind", "verb"),
		GateEvaluationsLate: counter("gate_evaluations_late_total",
			"Gate evaluations that outlasted the gate deadline (--gate-deadline) and ended in the background."),
		PrimaryRepairs: counterVec(Namespace, "primary_repairs_total",
			"Primaries found deleted or scaled to 0 while idle and repaired from the stable revision, by cause (deleted, scaled-to-zero).",
			"namespace", "cause"),
		HookCalls: counterVec(Namespace, "hook_calls_total",
			"Release hook calls by hook (pre-release, post-promotion, post-rollback) and outcome (proceed, refuse, error, cancelled).",
			"hook", "outcome"),
		HookCallDuration: histogramVec(Namespace, "hook_call_duration_seconds", "Duration of one release hook call (one attempt), by hook.",
			[]float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30}, "hook"),
	}
	// The release-duration series exist from the start, so that the first
	// release's observation is an increase Prometheus can see.
	for _, result := range []string{"succeeded", "failed"} {
		m.ReleaseDuration.WithLabelValues(result)
	}
	// So do the hook series: the outcome is the hook's answer or
	// "cancelled" for a call cut short (its release superseded, aborted or
	// retried, or its canary gone).
	for _, hook := range []string{"pre-release", "post-promotion", "post-rollback"} {
		for _, outcome := range []string{"proceed", "refuse", "error", "cancelled"} {
			m.HookCalls.WithLabelValues(hook, outcome)
		}
		m.HookCallDuration.WithLabelValues(hook)
	}
	reg.MustRegister(m.Weight, m.Phase, m.Step, m.Steps, m.FailedChecks, m.AwaitingApproval, m.Releases,
		m.ReleaseDuration, m.StepLag, m.ReconcileErrors, m.ReconcileDuration, m.Writes, m.GateEvaluationsLate, m.PrimaryRepairs,
		m.HookCalls, m.HookCallDuration)
	return m
}

// Forget removes the per-canary series of a canary that is gone.
func (m *Metrics) Forget(namespace, deployment string) {
	l := prometheus.Labels{"namespace": namespace, "deployment": deployment}
	m.Weight.Delete(l)
	m.Step.Delete(l)
	m.Steps.Delete(l)
	m.FailedChecks.Delete(l)
	m.AwaitingApproval.Delete(l)
	m.Phase.DeletePartialMatch(l)
}
