package controller

import (
	"time"

	"go.uber.org/zap"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/notify"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

var allPhases = []stepper.Phase{
	stepper.PhaseInitializing, stepper.PhaseReady, stepper.PhaseProgressing, stepper.PhasePromoting,
	stepper.PhaseSucceeded, stepper.PhaseRollingBack, stepper.PhaseFailed, stepper.PhasePaused,
}

// record reports a decision: Events on the user's Deployment, a log line per
// event (Warning events at warn level), and the metrics.
func (c *Controller) record(s *snapshot, next stepper.Status, act stepper.Actions, now time.Time, log *zap.Logger) {
	for _, e := range act.Events {
		typ, logAt := corev1.EventTypeNormal, log.Info
		if e.Warning {
			typ, logAt = corev1.EventTypeWarning, log.Warn
		}
		c.recorder.Event(s.user, typ, e.Reason, e.Message)
		logAt("event recorded", zap.String("reason", e.Reason), zap.String("message", e.Message), zap.String("phase", string(next.Phase)),
			zap.Int("step", next.Step), zap.String("weight", config.FormatWeight(next.Weight, next.Total)))
	}

	ns, name := s.user.Namespace, s.user.Name
	c.notifier.Notify(s.receivers, notify.FromEvents(ns, name, next, act.Events, now)...)
	m := c.metrics
	prev := s.status
	if next.Total > 0 {
		m.Weight.WithLabelValues(ns, name).Set(100 * float64(next.Weight) / float64(next.Total))
	} else {
		m.Weight.WithLabelValues(ns, name).Set(0)
	}
	m.Step.WithLabelValues(ns, name).Set(float64(next.Step))
	m.Steps.WithLabelValues(ns, name).Set(float64(next.Steps))
	m.FailedChecks.WithLabelValues(ns, name).Set(float64(next.FailedChecks))
	awaiting := 0.0
	if next.AwaitingApproval != nil {
		awaiting = 1
	}
	m.AwaitingApproval.WithLabelValues(ns, name).Set(awaiting)
	for _, p := range allPhases {
		v := 0.0
		if p == next.Phase {
			v = 1
		}
		m.Phase.WithLabelValues(ns, name, string(p)).Set(v)
	}

	if next.Step > prev.Step && prev.Step >= 1 && prev.StepStart != nil && next.Revision == prev.Revision {
		if lag := now.Sub(prev.StepStart.Add(s.cfg.StepInterval)); lag >= 0 {
			m.StepLag.Observe(lag.Seconds())
		}
	}
	if next.Superseded > prev.Superseded {
		m.Releases.WithLabelValues(ns, "superseded").Inc()
	}
	// A release ends when it leaves Progressing (one decision may pass
	// through RollingBack), Promoting or RollingBack for Succeeded or
	// Failed; leaving Paused into an idle phase is not a second end.
	if prev.Phase != next.Phase && (prev.Phase == stepper.PhasePromoting || prev.Phase == stepper.PhaseRollingBack ||
		prev.Phase == stepper.PhaseProgressing) {
		switch next.Phase {
		case stepper.PhaseSucceeded:
			c.releaseEnded(ns, name, "succeeded", prev, now)
		case stepper.PhaseFailed:
			c.releaseEnded(ns, name, "failed", prev, now)
		}
	}
}

func (c *Controller) releaseEnded(ns, name, result string, prev stepper.Status, now time.Time) {
	c.metrics.Releases.WithLabelValues(ns, result).Inc()
	if prev.ReleaseStart != nil {
		c.metrics.ReleaseDuration.WithLabelValues(result).Observe(now.Sub(*prev.ReleaseStart).Seconds())
	}
	c.forgetRelease(ns, name)
}

// warn records a Warning Event on the user's Deployment d and logs it at
// warn level with a fixed message, its reason and message in fields, as
// record does with the Events of a decision.
func (c *Controller) warn(d *appsv1.Deployment, reason, msg string, log *zap.Logger) {
	c.recorder.Event(d, corev1.EventTypeWarning, reason, msg)
	log.Warn("event recorded", zap.String("reason", reason), zap.String("message", msg))
}
