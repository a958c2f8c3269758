package controller

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
)

// ErrFenced is the error of a write refused by a closed Fence.
var ErrFenced = errors.New("write refused: this replica no longer leads")

// Fence keeps a replica that stopped leading from writing: once Close is
// called, every request that would change the cluster fails before it is
// sent, while reads (and watches) still pass. Put it in front of the
// controller's clients with rest.Config.Wrap(fence.Wrap), not in front of
// the leader election's client, which must still release the lease.
type Fence struct {
	closed atomic.Bool
}

// Close refuses every later write.
func (f *Fence) Close() { f.closed.Store(true) }

// Wrap returns rt behind the fence.
func (f *Fence) Wrap(rt http.RoundTripper) http.RoundTripper {
	return fencedTransport{fence: f, next: rt}
}

type fencedTransport struct {
	fence *Fence
	next  http.RoundTripper
}

func (t fencedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.fence.closed.Load() && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, ErrFenced)
	}
	return t.next.RoundTrip(r)
}
