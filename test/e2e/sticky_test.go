//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/test/meshsim"
)

// stickyClients is how many clients, each keeping its own cookies, the
// sticky-session test simulates at once; each leaves after
// stickySessionLength requests and a new one, without cookies, takes its
// place, so that clients without the cookie keep arriving during the
// release.
const (
	stickyClients       = 40
	stickySessionLength = 6
)

// TestStickySessionStaysOnTheCanary releases with strategy.sticky while
// clients that keep cookies, as browsers do, call the service: a client
// the weights send to the canary gets the session cookie and every later
// request of it during the release reaches the canary, while clients
// without the cookie follow the weights; after promotion the inserted
// route is gone and the cookie no longer selects anything.
func TestStickySessionStaysOnTheCanary(t *testing.T) {
	t.Parallel()
	a := newApp(t, "sticky").Steps("20,50").StepInterval("12s").
		Set("strategy.sticky", "true").Create()
	c := startCookieClients(t, meshsim.ServiceRef{Namespace: a.ns, Name: appName})
	want := []string{
		"primary",
		"meshcanary-sticky: canary | primary=80 canary=20",
		"meshcanary-sticky: canary | primary=50 canary=50",
		"primary",
	}
	releaseThroughStates(t, a, c, want, func(s abState, withCookie, without meshsim.Counts) {
		if s.Managed {
			if err := shareError(withCookie, appName, 1); err != nil {
				t.Errorf("requests with the session cookie while the routes were %q: %v", s.Desc, err)
			}
		} else if n := withCookie.Workloads[appName]; n > 0 {
			t.Errorf("while the routes were %q, %d of %d requests with a session cookie reached the canary", s.Desc, n, withCookie.Requests)
		}
		if err := shareError(without, appName, s.Weight); err != nil {
			t.Errorf("requests without the session cookie while the routes were %q: %v", s.Desc, err)
		}
		t.Logf("routes %-50q canary answered %3d of %3d requests with the cookie, %3d of %3d without",
			s.Desc, withCookie.Workloads[appName], withCookie.Requests, without.Workloads[appName], without.Requests)
	})
	if got := c.cookieNames(); !slices.Equal(got, []string{"meshcanary-canary"}) {
		t.Errorf("cookies the clients were given: %q, want only meshcanary-canary", got)
	}
}

// cookieClients are stickyClients callers of a service, taking turns every
// probeEvery, each sending the cookies it was given (by Set-Cookie
// response headers) with every request, and a record of which workload
// answered each request.
type cookieClients struct {
	probeLog // Insider: the request carried a cookie

	// Guarded by probeLog.mu.
	jars  [stickyClients]map[string]string // cookie name → value
	sent  [stickyClients]int               // requests of the client's session
	given []string                         // names of every cookie given, sorted
}

// startCookieClients starts the clients until stop or the end of the test.
func startCookieClients(t *testing.T, svc meshsim.ServiceRef) *cookieClients {
	c := &cookieClients{}
	ctx := c.start()
	for i := range c.jars {
		c.jars[i] = map[string]string{}
	}
	go c.run(ctx, svc)
	t.Cleanup(c.stop)
	return c
}

func (c *cookieClients) run(ctx context.Context, svc meshsim.ServiceRef) {
	defer close(c.done)
	tick := time.NewTicker(probeEvery / 2)
	defer tick.Stop()
	for i := 0; ; i = (i + 1) % stickyClients {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c.mu.Lock()
		if c.sent[i] == stickySessionLength {
			c.jars[i], c.sent[i] = map[string]string{}, 0
		}
		c.sent[i]++
		header := cookieHeader(c.jars[i])
		c.mu.Unlock()
		req := meshsim.Request{Service: svc}
		if header != "" {
			req.Headers = map[string]string{"cookie": header}
		}
		at := time.Now()
		d, ans := env.sim.Send(req)
		w := "unknown"
		if d.Pod != nil {
			w = meshsim.WorkloadName(d.Pod)
		}
		c.mu.Lock()
		if set, ok := d.ResponseHeaders["set-cookie"]; ok {
			name, value, _ := strings.Cut(strings.SplitN(set, ";", 2)[0], "=")
			name = strings.TrimSpace(name)
			c.jars[i][name] = strings.TrimSpace(value)
			if !slices.Contains(c.given, name) {
				c.given = append(c.given, name)
				slices.Sort(c.given)
			}
		}
		c.probes = append(c.probes, probe{At: at, Insider: header != "", Workload: w, Code: ans.Code})
		c.mu.Unlock()
	}
}

// cookieHeader writes a jar as a cookie request header, sorted by name.
func cookieHeader(jar map[string]string) string {
	var parts []string
	for name, value := range jar {
		parts = append(parts, name+"="+value)
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// cookieNames lists the names of the cookies any client was given.
func (c *cookieClients) cookieNames() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.given)
}

// waitAtRest waits until at least minShareRequests requests without a
// cookie were sent under the app's current routes, switchGuard cut from
// both ends.
func (c *cookieClients) waitAtRest(a *app) {
	a.t.Helper()
	states := abStates(a.rec.vsHistory(appName))
	from := states[len(states)-1].Start.Add(switchGuard)
	a.eventually(fmt.Sprintf("%d requests at rest", minShareRequests), func() error {
		withCookie, without := c.between(from, time.Now().Add(-switchGuard))
		if n := withCookie.Requests + without.Requests; n < 2*minShareRequests || without.Requests < minShareRequests {
			return fmt.Errorf("%d so far, %d without a cookie", n, without.Requests)
		}
		return nil
	})
}
