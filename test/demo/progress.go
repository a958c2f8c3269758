package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/demo/scenario"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

func isPhase(phases ...stepper.Phase) func(stepper.Status) bool {
	return func(s stepper.Status) bool { return slices.Contains(phases, s.Phase) }
}

// ended holds once a release of a revision other than the one released
// before ends, promoted, rolled back or reverted.
func ended(before string) func(stepper.Status) bool {
	return func(s stepper.Status) bool {
		return s.Revision != before && (s.Phase == stepper.PhaseSucceeded || s.Phase == stepper.PhaseFailed)
	}
}

// watch prints a line whenever the phase, step, weight or message changes,
// and every 5 s the traffic the simulator saw since the last line, until
// done holds, and returns the last status it read. It waits as long as the
// controller may take to decide (see decisionTimeout).
func (a *app) watch(ctx context.Context, what string, done func(stepper.Status) bool) (stepper.Status, error) {
	var (
		last string
		st   stepper.Status
	)
	prev := a.sim.Counts(namespace, appName)
	lastPrint := time.Now()
	target := istio.Target{Namespace: namespace, Service: appName, Deployment: appName}
	timeout, err := decisionTimeout()
	if err != nil {
		return st, err
	}
	err = wait(ctx, timeout, func() (bool, error) {
		st, _, err = cluster.StatusOf(ctx, a.kube, a.istio, namespace, appName)
		if err != nil {
			return false, fmt.Errorf("reading the status: %w", err)
		}
		weight := "-"
		if vs, err := a.istio.NetworkingV1().VirtualServices(namespace).Get(ctx, appName, metav1.GetOptions{}); err == nil {
			if _, w := istio.ObserveRouting(vs, target); st.Total > 0 {
				weight = config.FormatWeight(w, st.Total)
			}
		}
		line := fmt.Sprintf("%-12s step %d/%d  VirtualService canary weight %-6s %s", st.Phase, st.Step, st.Steps, weight, st.Message)
		now := a.sim.Counts(namespace, appName)
		if line != last || time.Since(lastPrint) >= 5*time.Second {
			say("%s  | %s", line, traffic(prev, now))
			last, prev, lastPrint = line, now, time.Now()
		}
		return done(st), nil
	})
	if err != nil {
		return st, fmt.Errorf("waiting for the %s (last status: %s): %w", what, scenario.Outcome(st), err)
	}
	return st, nil
}

// decisionTimeout is the longest the controller may take to end a release
// of the scenario's configuration: every step held for the maximum hold
// past its bake time, the longest wait for the canary (MaxWaitFactor
// progress deadlines) and a progress deadline for the primary's rollout,
// plus a minute.
func decisionTimeout() (time.Duration, error) {
	cfg, err := scenarioConfig()
	if err != nil {
		return 0, err
	}
	steps := time.Duration(len(cfg.Steps))
	return steps*(cfg.StepInterval+cfg.MaxHold) + (stepper.MaxWaitFactor+1)*cfg.ProgressDeadline + time.Minute, nil
}

// traffic summarises the requests between two snapshots: the share each
// workload answered and the error rate callers saw.
func traffic(before, after meshsim.Counts) string {
	n := after.Requests - before.Requests
	if n <= 0 {
		return "no requests yet"
	}
	canary := after.Workloads[appName] - before.Workloads[appName]
	var errors int64
	for code, c := range after.Codes {
		if code >= 500 {
			errors += c - before.Codes[code]
		}
	}
	return fmt.Sprintf("%4d req: canary share %5.1f%%, errors %4.1f%%", n, 100*float64(canary)/float64(n), 100*float64(errors)/float64(n))
}
