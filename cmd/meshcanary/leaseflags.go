package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/client-go/tools/leaderelection"
)

// leaseTimings are the leader election's timings: how long a Lease is
// valid without renewal, how long the leader keeps trying to renew it
// before it stops leading, and how often every replica tries to acquire or
// renew it.
type leaseTimings struct {
	duration, renewDeadline, retryPeriod time.Duration
}

func (l *leaseTimings) add(fs *pflag.FlagSet) {
	fs.DurationVar(&l.duration, "leader-election-lease-duration", 15*time.Second,
		"how long a standby replica waits, after the leader's last renewal, before it takes the Lease (whole seconds); at least renew deadline + retry period + the 3s drain")
	fs.DurationVar(&l.renewDeadline, "leader-election-renew-deadline", 10*time.Second,
		"how long the leader keeps trying to renew its Lease before it stops leading")
	fs.DurationVar(&l.retryPeriod, "leader-election-retry-period", 2*time.Second,
		"how often replicas try to acquire or renew the Lease")
}

// validate says which timing is invalid and what is valid; nil when they
// all are. Beyond client-go's own rules (renew deadline above 1.2 retry
// periods, its jitter), the lease must outlast the renew deadline, one
// retry period and the drain together: a leader that could not renew stops
// at most a retry period and the renew deadline after its last renewal,
// then drains for at most drain before its writes are fenced, and no other
// replica may take the Lease, and write, before that. The Lease stores its
// duration in whole seconds, so the duration must be one.
func (l leaseTimings) validate(drain time.Duration) error {
	switch {
	case l.retryPeriod <= 0:
		return fmt.Errorf("--leader-election-retry-period=%s: must be positive", l.retryPeriod)
	case float64(l.renewDeadline) <= leaderelection.JitterFactor*float64(l.retryPeriod):
		return fmt.Errorf("--leader-election-renew-deadline=%s: must be longer than %.1f × --leader-election-retry-period (%s)",
			l.renewDeadline, leaderelection.JitterFactor, l.retryPeriod)
	case l.duration < time.Second || l.duration%time.Second != 0:
		return fmt.Errorf("--leader-election-lease-duration=%s: must be a whole number of seconds, at least 1s (the Lease stores seconds)", l.duration)
	case l.duration < l.renewDeadline+l.retryPeriod+drain:
		return fmt.Errorf("--leader-election-lease-duration=%s: must be at least --leader-election-renew-deadline (%s) + --leader-election-retry-period (%s) + the drain (%s) = %s, "+
			"so that a leader that could not renew its Lease has drained and stopped writing before another replica may take it",
			l.duration, l.renewDeadline, l.retryPeriod, drain, l.renewDeadline+l.retryPeriod+drain)
	}
	return nil
}
