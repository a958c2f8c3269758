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

func TestCacheTTLCountsFromTheAnswer(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	c := newCache(2*time.Second, clk)
	var fetches int
	slow := func() (any, error) {
		fetches++
		clk.Step(5 * time.Second) // a query that runs into its timeout
		return nil, errors.New("timeout")
	}
	if _, err := c.get(context.Background(), "q", slow); err == nil {
		t.Fatal("the failed query answered no error")
	}
	clk.Step(time.Second)
	if _, err := c.get(context.Background(), "q", slow); err == nil || fetches != 1 {
		t.Errorf("one second after a 5s query failed, %d queries ran (err %v); want its error served from the cache", fetches, err)
	}
}

func TestCacheKeepsALateAnswerForTheNextCaller(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	c := newCache(2*time.Second, clk)
	var fetches atomic.Int32
	release := make(chan struct{})
	fetch := func() (any, error) {
		if fetches.Add(1) == 1 {
			<-release
		}
		return fetches.Load(), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := c.get(ctx, "q", fetch); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("get of a slow query past the caller's deadline: %v", err)
	}
	close(release)
	waitFetched(t, c)

	clk.Step(30 * time.Second) // past the TTL: the next evaluation comes
	if v, err := c.get(context.Background(), "q", fetch); err != nil || v != int32(1) || fetches.Load() != 1 {
		t.Errorf("the next caller got %v, %v after %d queries; want the late answer of the first query", v, err, fetches.Load())
	}
	clk.Step(30 * time.Second)
	if v, _ := c.get(context.Background(), "q", fetch); v != int32(2) {
		t.Errorf("an answer already received served again past its TTL: %v", v)
	}
}

func TestCacheReturnsAnAnswerThatIsThereEvenWhenTheContextEnded(t *testing.T) {
	c := newCache(time.Second, clocktesting.NewFakeClock(t0))
	if _, err := c.get(context.Background(), "q", func() (any, error) { return "answer", nil }); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 100 { // select picks at random among ready cases
		if v, err := c.get(ctx, "q", nil); v != "answer" || err != nil {
			t.Fatalf("get with an ended context of a cached answer: %v, %v", v, err)
		}
	}
}

// waitFetched waits until every fetch of c has ended.
func waitFetched(t *testing.T, c *cache) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		running := 0
		for _, e := range c.entries {
			if !e.done() {
				running++
			}
		}
		c.mu.Unlock()
		if running == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d fetches still running after 10s", running)
		}
	}
}
