package cluster

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// EventuallyInterval is how often [Eventually] checks.
const EventuallyInterval = 200 * time.Millisecond

// Poll calls check every interval until it returns nil, and returns nil
// then. An error marked [Permanent] ends the wait at once and is returned;
// when ctx ends first, the error names ctx's error and check's last one.
func Poll(ctx context.Context, interval time.Duration, check func(context.Context) error) error {
	for {
		last := check(ctx)
		if last == nil {
			return nil
		}
		var permanent permanentError
		if errors.As(last, &permanent) {
			return permanent.err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last check: %w", ctx.Err(), last)
		case <-time.After(interval):
		}
	}
}

// Permanent marks err as one that waiting longer cannot change: [Poll]
// returns it at once.
func Permanent(err error) error { return permanentError{err} }

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Eventually calls check every EventuallyInterval until it returns nil; it
// fails t with what and check's last error once timeout has passed, or at
// once for a [Permanent] error. The context given to check ends at the
// timeout (not with the test: a cleanup may wait too).
func Eventually(t testing.TB, timeout time.Duration, what string, check func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := Poll(ctx, EventuallyInterval, check); err != nil {
		t.Fatalf("waiting for %s (up to %s): %v", what, timeout, err)
	}
}
