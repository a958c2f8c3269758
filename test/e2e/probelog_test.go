//go:build e2e

package e2e

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// probeLog is what the request sources of the A/B and sticky tests share:
// the goroutine that sends until stop, and the probes it sent, each of one
// of two kinds (Insider: with the header, or with a cookie).
type probeLog struct {
	cancel    context.CancelFunc
	done      chan struct{}
	stoppedAt time.Time

	mu     sync.Mutex
	probes []probe
}

// start readies l for a sending goroutine, which must close l.done when the
// context it returns ends.
func (l *probeLog) start() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	return ctx
}

// add records one probe.
func (l *probeLog) add(p probe) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.probes = append(l.probes, p)
}

// stop stops sending and waits for the last probe; later calls do nothing.
func (l *probeLog) stop() {
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stoppedAt.IsZero() {
		l.stoppedAt = time.Now()
	}
}

// stopped is when stop was first called.
func (l *probeLog) stopped() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stoppedAt
}

// between counts the probes sent in [from, to], of each kind, as the
// simulator counts requests.
func (l *probeLog) between(from, to time.Time) (insiders, others meshsim.Counts) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return countProbes(l.probes, from, to)
}

// probeSource is a request source of the A/B and sticky tests.
type probeSource interface {
	waitAtRest(a *app)
	stop()
	stopped() time.Time
	between(from, to time.Time) (insiders, others meshsim.Counts)
}

// releaseThroughStates releases a new image of a while src sends requests,
// until it is promoted and src has sent enough under the final routes;
// checks that the VirtualService's http routes went through want (see
// abDescriptions); and calls check with the requests of each kind src sent
// while each of them stood, switchGuard cut from both ends (the last until
// src stopped).
func releaseThroughStates(t *testing.T, a *app, src probeSource, want []string, check func(s abState, insiders, others meshsim.Counts)) {
	t.Helper()
	src.waitAtRest(a)
	rev := a.SetImage("example.com/web:v2")
	a.waitPhase(rev, stepper.PhaseSucceeded)
	src.waitAtRest(a)
	src.stop()

	states := abStates(a.rec.vsHistory(appName))
	if diff := cmp.Diff(want, abDescriptions(states)); diff != "" {
		t.Fatalf("http routes of the VirtualService, in order (-want +got):\n%s", diff)
	}
	for _, s := range states {
		end := s.End.Add(-switchGuard)
		if s.End.IsZero() {
			end = src.stopped()
		}
		insiders, others := src.between(s.Start.Add(switchGuard), end)
		check(s, insiders, others)
	}
}
