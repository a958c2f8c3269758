package main

import (
	"strings"
	"testing"
	"time"
)

func TestLeaseTimingsAreCheckedAgainstTheDrain(t *testing.T) {
	const drain = 3 * time.Second
	for name, tc := range map[string]struct {
		lease   leaseTimings
		wantErr string
	}{
		"the defaults leave exactly the drain between a failed renewal and the expiry": {
			lease: leaseTimings{15 * time.Second, 10 * time.Second, 2 * time.Second},
		},
		"a short lease with a short renew deadline is valid": {
			lease: leaseTimings{6 * time.Second, 2 * time.Second, 500 * time.Millisecond},
		},
		"a lease that expires during the drain is refused": {
			lease:   leaseTimings{15 * time.Second, 12 * time.Second, 2 * time.Second},
			wantErr: "--leader-election-lease-duration=15s: must be at least --leader-election-renew-deadline (12s) + --leader-election-retry-period (2s) + the drain (3s) = 17s",
		},
		"a lease of a fraction of a second is refused": {
			lease:   leaseTimings{6500 * time.Millisecond, 2 * time.Second, 500 * time.Millisecond},
			wantErr: "--leader-election-lease-duration=6.5s: must be a whole number of seconds",
		},
		"a renew deadline within the retry jitter is refused": {
			lease:   leaseTimings{15 * time.Second, 2 * time.Second, 2 * time.Second},
			wantErr: "--leader-election-renew-deadline=2s: must be longer than 1.2 × --leader-election-retry-period (2s)",
		},
		"a retry period of 0 is refused": {
			lease:   leaseTimings{15 * time.Second, 10 * time.Second, 0},
			wantErr: "--leader-election-retry-period=0s: must be positive",
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.lease.validate(drain)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("validate: %v, want nil", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("validate: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}
