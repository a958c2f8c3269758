package controller

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// DefaultDrainTimeout bounds the drain of a stopping controller. It is no
// longer than what the lease leaves between the moment a leader that
// cannot renew gives up (a retry period of 2 s and the renew deadline of
// 10 s after its last renewal) and the moment another replica may take it
// (the lease duration of 15 s after that renewal), so that a deposed
// leader's last write lands before a new leader's first; the controller
// command refuses lease timings that leave less.
const DefaultDrainTimeout = 3 * time.Second

// work runs the workers until ctx is done, then drains them: no reconcile
// starts any more (processNextItem), and the ones under way finish their
// writes, for at most the drain timeout: their API calls use a context
// that outlives ctx until then, so a SIGTERM or a lost lease does not cut
// a reconcile between two of its writes. Past the timeout that context is
// cancelled and work returns; the caller then fences the clients (Fence),
// so a reconcile still stuck writes nothing more.
func (c *Controller) work(ctx context.Context, workers int) {
	workCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c.processNextItem(workCtx) {
			}
		})
	}
	<-ctx.Done()
	c.stopping.Store(true)
	c.queue.ShutDown()
	drained := make(chan struct{})
	go func() {
		wg.Wait()
		close(drained)
	}()
	timeout := c.clock.NewTimer(c.drainTimeout)
	defer timeout.Stop()
	select {
	case <-drained:
		c.log.Info("stopped: every reconcile under way finished")
	case <-timeout.C():
		c.log.Warn("stopped: reconciles still under way are cut off after the drain timeout",
			zap.Duration("drainTimeout", c.drainTimeout))
	}
}
