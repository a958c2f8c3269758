//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// The failover tests' leader election timings: short, so that a takeover
// after a crash takes seconds, and valid (the lease outlasts the renew
// deadline, a retry period and the controller's 3 s drain).
const (
	failoverLease       = 6 * time.Second
	failoverRenew       = 2 * time.Second
	failoverRetry       = 500 * time.Millisecond
	failoverStep        = 6 * time.Second
	failoverKillInStep  = 1500 * time.Millisecond
	failoverSteps       = "20,50,80"
	failoverLeaseNSName = "default"
)

// retryJitter is client-go's leaderelection.JitterFactor: a standby
// replica waits between retryPeriod and (1+retryJitter)·retryPeriod
// between two looks at the Lease.
const retryJitter = 1.2

// failoverStartup bounds how long a replica that has just acquired the
// Lease takes to start its informers, sync its caches and make its first
// write. Measured in tens to hundreds of milliseconds; the bound is loose
// for 2 shared, busy cores.
const failoverStartup = 5 * time.Second

// TestLeaderKilledMidStepTheStandbyContinuesTheRelease runs two replicas
// with leader election on, each behind its own counting proxy, and
// SIGKILLs the leader in the middle of step 2 of a release whose step ends
// before the Lease expires. The standby must take the Lease and continue
// the same release from that step: same release start, steps never going
// back, weights 20, 50, 80 then 0, ending Succeeded with the primary on the
// new revision, and no request answered UH, NR or NC. Its first write
// must come within the lease duration plus the retry jitter and a startup
// allowance of the kill (the figure is logged against the lease duration
// + 2 s the issue asks for), and no write of the old leader may come after
// it.
func TestLeaderKilledMidStepTheStandbyContinuesTheRelease(t *testing.T) {
	p := startReplicaPair(t, "failover-kill")
	a := newApp(t, "failover-kill").Steps(failoverSteps).StepInterval(failoverStep.String()).
		Controllers(p.leader.ctrl, p.standby.ctrl).Create()
	rev, before, stopAt := p.releaseAndStopMidStep(a, func() { must(t, "killing the leader", p.leader.ctrl.Kill()) })
	a.waitPhase(rev, stepper.PhaseSucceeded)
	p.checkContinued(a, rev, before, stopAt)

	first := p.standby.firstControllerWrite(t)
	took := first.Sent.Sub(stopAt)
	// A standby sees the last renewal up to (1+jitter)·retry after it
	// happened, takes the Lease at its first look past that sight plus the
	// lease duration (up to (1+jitter)·retry later again), then starts.
	bound := failoverLease + time.Duration(2*(1+retryJitter)*float64(failoverRetry)) + failoverStartup
	t.Logf("SIGKILL of the leader at step %d: the standby took the Lease %s and made its first write (%s %s) %s after the kill; lease %s, issue's bound lease + 2s = %s, asserted bound %s",
		before.Step, p.standby.leaseAcquired(t).Sent.Sub(stopAt).Round(time.Millisecond), first.Verb, first.Resource,
		took.Round(time.Millisecond), failoverLease, failoverLease+2*time.Second, bound)
	if took > bound {
		t.Errorf("the standby's first write came %s after the kill, more than %s", took.Round(time.Millisecond), bound)
	}
	if took < failoverLease-failoverRetry {
		t.Errorf("the standby wrote %s after the kill, before the killed leader's Lease (%s) could have expired", took, failoverLease)
	}
	p.checkNoOldWriteAfter(first)
}

// TestLeaderStoppedMidStepHandsOverAtOnce sends SIGTERM to the leader of
// two replicas in the middle of step 2: it drains, is fenced and releases
// the Lease, and the standby takes it over sooner than an expiry would let
// it, then continues the same release to Succeeded. No write of the old
// leader comes after the new leader's first, the Lease release included.
func TestLeaderStoppedMidStepHandsOverAtOnce(t *testing.T) {
	p := startReplicaPair(t, "failover-term")
	a := newApp(t, "failover-term").Steps(failoverSteps).StepInterval(failoverStep.String()).
		Controllers(p.leader.ctrl, p.standby.ctrl).Create()
	rev, before, stopAt := p.releaseAndStopMidStep(a, p.leader.ctrl.Stop)
	a.waitPhase(rev, stepper.PhaseSucceeded)
	p.checkContinued(a, rev, before, stopAt)

	acquired := p.standby.leaseAcquired(t)
	took := acquired.Sent.Sub(stopAt)
	first := p.standby.firstControllerWrite(t)
	released := p.leader.lastWrite(t)
	t.Logf("SIGTERM of the leader at step %d: the Lease released %s, taken by the standby %s and its first write (%s %s) %s after the signal; lease %s",
		before.Step, released.Answered.Sub(stopAt).Round(time.Millisecond), took.Round(time.Millisecond),
		first.Verb, first.Resource, first.Sent.Sub(stopAt).Round(time.Millisecond), failoverLease)
	if released.Resource != "leases" {
		t.Errorf("the old leader's last write is %s %s, want the release of its Lease", released.Verb, released.Resource)
	}
	// Without the release, the old leader's last renewal is at most one
	// retry period before the signal (it renews while it drains), and no
	// standby may take the Lease before that renewal plus the lease
	// duration: a takeover sooner than that is the release's doing.
	if limit := failoverLease - failoverRetry; took >= limit {
		t.Errorf("the standby took the Lease %s after SIGTERM, not sooner than an expired Lease allows (%s)", took.Round(time.Millisecond), limit)
	}
	p.checkNoOldWriteAfter(acquired)
}

// replica is one controller process behind its own counting proxy, so
// that every API write is attributed to it and timestamped.
type replica struct {
	t     *testing.T
	name  string
	ctrl  *cluster.Meshcanary
	proxy *cluster.Proxy
}

// replicaPair is two replicas of the controller electing a leader through
// one Lease, the first started being the leader.
type replicaPair struct {
	t               *testing.T
	leader, standby *replica
	lease           string
}

// startReplicaPair stops the shared controller and starts two replicas
// with leader election on, watching namespace e2e-<name> only, until the
// end of the test. The first holds the Lease when it returns.
func startReplicaPair(t *testing.T, name string) *replicaPair {
	t.Helper()
	p := &replicaPair{t: t, lease: "meshcanary-" + name}
	shared := env.controller
	shared.Stop()
	t.Cleanup(func() { must(t, "restarting the shared controller", shared.Start()) })
	p.leader = startReplica(t, name+"-a", p.lease, "e2e-"+name)
	p.waitLeader(p.leader)
	p.standby = startReplica(t, name+"-b", p.lease, "e2e-"+name)
	return p
}

// startReplica starts one controller replica behind a proxy of its own.
func startReplica(t *testing.T, name, lease, ns string) *replica {
	t.Helper()
	ctrl, proxy := startBehindProxy(t, name, ns,
		"--leader-elect=true",
		"--leader-election-namespace", failoverLeaseNSName,
		"--leader-election-id", lease,
		"--leader-election-lease-duration", failoverLease.String(),
		"--leader-election-renew-deadline", failoverRenew.String(),
		"--leader-election-retry-period", failoverRetry.String(),
	)
	return &replica{t: t, name: name, ctrl: ctrl, proxy: proxy}
}

// waitLeader waits until r holds the Lease.
func (p *replicaPair) waitLeader(r *replica) {
	p.t.Helper()
	host, err := os.Hostname()
	must(p.t, "reading the hostname", err)
	id := fmt.Sprintf("%s_%d", host, r.ctrl.Pid())
	cluster.Eventually(p.t, waitTimeout, fmt.Sprintf("replica %s (%s) to hold Lease %s", r.name, id, p.lease), func(ctx context.Context) error {
		l, err := env.kube.CoordinationV1().Leases(failoverLeaseNSName).Get(ctx, p.lease, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if h := l.Spec.HolderIdentity; h == nil || *h != id {
			return fmt.Errorf("holder %v", ptr.Deref(h, "none"))
		}
		return nil
	})
}

// releaseAndStopMidStep releases a new image and, failoverKillInStep into
// step 2, stops the leader with stop. It returns the revision, the status
// seen just before the stop and the time of the stop.
func (p *replicaPair) releaseAndStopMidStep(a *app, stop func()) (string, stepper.Status, time.Time) {
	p.t.Helper()
	rev := a.SetImage("example.com/web:v2")
	st := a.waitStep(rev, 2)
	if st.StepStart != nil {
		time.Sleep(time.Until(st.StepStart.Add(failoverKillInStep)))
	}
	before, _ := a.rec.latest()
	if before.Status.Revision != rev || before.Status.Phase != stepper.PhaseProgressing {
		p.t.Fatalf("the release is %s at the stop, want Progressing: %s", before.Status.Phase, before.Raw)
	}
	if n := len(p.standby.proxy.WriteLog()); n > 0 {
		p.t.Errorf("the standby made %d writes while the other replica led: %v", n, p.standby.proxy.WriteLog())
	}
	stopAt := time.Now()
	stop()
	return rev, before.Status, stopAt
}

// checkContinued checks that the release of rev went on from where before
// was, after the stop: the same release (release start), no step going
// back, the weights of every step in order then 0, the primary on rev.
func (p *replicaPair) checkContinued(a *app, rev string, before stepper.Status, stopAt time.Time) {
	p.t.Helper()
	step := before.Step
	for _, s := range a.rec.statusHistory() {
		if !s.At.After(stopAt) || s.Status.Revision != rev {
			continue
		}
		switch {
		case s.Status.ReleaseStart == nil || before.ReleaseStart == nil || !s.Status.ReleaseStart.Equal(*before.ReleaseStart):
			p.t.Errorf("after the stop, a status of another release (started %v, the release started %v): %s",
				s.Status.ReleaseStart, before.ReleaseStart, s.Raw)
		case s.Status.Phase == stepper.PhaseProgressing && s.Status.Step < step:
			p.t.Errorf("after the stop, the release went back to step %d from %d: %s", s.Status.Step, step, s.Raw)
		case s.Status.Phase == stepper.PhaseProgressing:
			step = s.Status.Step
		}
	}
	if got := a.deployment(primaryName).Annotations[config.RevisionAnnotation]; got != rev {
		p.t.Errorf("the primary runs revision %s, want %s", got, rev)
	}
	target := istio.Target{Namespace: a.ns, Service: appName, Deployment: appName}
	var weights []int32
	for _, v := range a.rec.vsHistory(appName) {
		if v.VS == nil {
			continue
		}
		_, w := istio.ObserveRouting(v.VS, target)
		weights = append(weights, w)
	}
	if msg := weightRegression(weights); msg != "" {
		p.t.Error(msg)
	}
	var nonZero []int32
	for _, w := range slices.Compact(weights) {
		if w > 0 {
			nonZero = append(nonZero, w)
		}
	}
	if want := []int32{20, 50, 80}; !slices.Equal(nonZero, want) || weights[len(weights)-1] != 0 {
		p.t.Errorf("canary weights %v, want %v then 0", slices.Compact(weights), want)
	}
}

// checkNoOldWriteAfter checks that every write of the old leader was
// answered before the new leader's write w was sent.
func (p *replicaPair) checkNoOldWriteAfter(w cluster.Write) {
	p.t.Helper()
	for _, old := range p.leader.proxy.WriteLog() {
		if !old.Answered.Before(w.Sent) {
			p.t.Errorf("the old leader's %s %s (answered %s) came after the new leader's %s %s (sent %s)",
				old.Verb, old.Resource, old.Answered.Format(time.StampMicro), w.Verb, w.Resource, w.Sent.Format(time.StampMicro))
		}
	}
}

// firstControllerWrite returns the replica's first write other than to
// its Lease.
func (r *replica) firstControllerWrite(t *testing.T) cluster.Write {
	t.Helper()
	for _, w := range r.proxy.WriteLog() {
		if w.Resource != "leases" {
			return w
		}
	}
	t.Fatalf("replica %s made no write besides its Lease", r.name)
	return cluster.Write{}
}

// leaseAcquired returns the replica's first successful write of its Lease.
func (r *replica) leaseAcquired(t *testing.T) cluster.Write {
	t.Helper()
	for _, w := range r.proxy.WriteLog() {
		if w.Resource == "leases" && w.Code < 300 {
			return w
		}
	}
	t.Fatalf("replica %s never wrote its Lease", r.name)
	return cluster.Write{}
}

// lastWrite returns the replica's last write.
func (r *replica) lastWrite(t *testing.T) cluster.Write {
	t.Helper()
	log := r.proxy.WriteLog()
	if len(log) == 0 {
		t.Fatalf("replica %s made no write", r.name)
	}
	return log[len(log)-1]
}
