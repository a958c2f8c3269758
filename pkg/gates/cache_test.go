package gates

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

func TestCacheRunsOneFetchForConcurrentCallers(t *testing.T) {
	c := newCache(time.Second, clocktesting.NewFakeClock(t0))
	var fetches atomic.Int32
	release := make(chan struct{})
	fetch := func() (any, error) {
		fetches.Add(1)
		<-release
		return "answer", nil
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.get(context.Background(), "q", fetch); err != nil {
				t.Error(err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond) // let the callers queue up
	close(release)
	wg.Wait()
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches for 50 concurrent callers, want 1", n)
	}
}

func TestCacheServesAnswersAndErrorsForItsTTL(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	c := newCache(2*time.Second, clk)
	var fetches int
	boom := errors.New("boom")
	fetch := func() (any, error) { fetches++; return nil, boom }
	get := func() error { _, err := c.get(context.Background(), "q", fetch); return err }
	if err := get(); !errors.Is(err, boom) {
		t.Fatalf("first get: %v", err)
	}
	clk.Step(time.Second)
	if err := get(); !errors.Is(err, boom) || fetches != 1 {
		t.Errorf("within the TTL the error is served from the cache: %v after %d fetches", err, fetches)
	}
	clk.Step(time.Second)
	if get(); fetches != 2 {
		t.Errorf("after the TTL the query runs again: %d fetches, want 2", fetches)
	}
	if len(c.entries) != 1 {
		t.Errorf("%d entries kept, want the expired one swept", len(c.entries))
	}
}

func TestCacheWaitEndsWithTheCallersContext(t *testing.T) {
	c := newCache(time.Second, clocktesting.NewFakeClock(t0))
	block := make(chan struct{})
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.get(ctx, "q", func() (any, error) { <-block; return nil, nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("get with a cancelled context: %v", err)
	}
}
