//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/meshcanary/meshcanary/test/meshsim"
)

// managedRoutePrefix starts the name of every http route meshcanary inserts.
const managedRoutePrefix = "meshcanary-"

// insiderHeader is the request header of the A/B tests and its value.
var insiderHeader = map[string]string{"x-canary": "insider"}

// TestABReleaseSendsMatchingRequestsToTheCanary releases with
// strategy.header.x-canary "exact:insider" while callers send requests with
// and without the header. At every step the inserted match route sends each
// request with the header to the canary, the others follow the weights;
// after promotion the inserted route is gone.
func TestABReleaseSendsMatchingRequestsToTheCanary(t *testing.T) {
	t.Parallel()
	a := newApp(t, "ab-header").Steps("20,50").StepInterval("10s").Rate(30).
		Set("strategy.header.x-canary", "exact:insider").
		Requests(meshsim.Shape{Weight: 0.3, Headers: insiderHeader}, meshsim.Shape{Weight: 0.7}).
		Create()
	p := startProber(t, meshsim.ServiceRef{Namespace: a.ns, Name: appName})
	want := []string{
		"primary",
		"meshcanary-ab: canary | primary=80 canary=20",
		"meshcanary-ab: canary | primary=50 canary=50",
		"primary",
	}
	releaseThroughStates(t, a, p, want, func(s abState, insiders, others meshsim.Counts) {
		wantInsiders := s.Weight
		if s.Managed {
			wantInsiders = 1
		}
		if err := shareError(insiders, appName, wantInsiders); err != nil {
			t.Errorf("requests with the header while the routes were %q: %v", s.Desc, err)
		}
		if err := shareError(others, appName, s.Weight); err != nil {
			t.Errorf("requests without the header while the routes were %q: %v", s.Desc, err)
		}
		t.Logf("routes %-46q canary answered %3d of %3d requests with the header, %3d of %3d without",
			s.Desc, insiders.Workloads[appName], insiders.Requests, others.Workloads[appName], others.Requests)
	})
	for _, r := range a.virtualService(appName).Spec.GetHttp() {
		if strings.HasPrefix(r.GetName(), managedRoutePrefix) {
			t.Errorf("after the promotion the VirtualService still has the managed route %q", r.GetName())
		}
	}
}

// abState is one stretch of a VirtualService's history during which its
// http routes stayed the same: Desc lists them ("name: route" for a
// managed route), Managed says whether one is meshcanary's, Weight is the
// canary's share of the last (unmanaged) route.
type abState struct {
	Desc       string
	Managed    bool
	Weight     float64
	Start, End time.Time
}

// abStates folds a VirtualService's history into the successive states of
// its http routes.
func abStates(history []vsVersion) []abState {
	var out []abState
	for _, v := range history {
		s := abState{Desc: routeDeleted, Start: v.At}
		if v.VS != nil {
			var parts []string
			for _, r := range v.VS.Spec.GetHttp() {
				route := describeRoute(r.GetRoute())
				if strings.HasPrefix(r.GetName(), managedRoutePrefix) {
					s.Managed = true
					// The suffix names the user's route it copies, which
					// meshcanary chose: only the kind is compared.
					kind, _, _ := strings.Cut(strings.TrimPrefix(r.GetName(), managedRoutePrefix), "-")
					route = managedRoutePrefix + kind + ": " + route
				} else {
					s.Weight = canaryShare(r.GetRoute())
				}
				parts = append(parts, route)
			}
			s.Desc = strings.Join(parts, " | ")
		}
		if n := len(out); n > 0 {
			if out[n-1].Desc == s.Desc {
				continue
			}
			out[n-1].End = v.At
		}
		out = append(out, s)
	}
	return out
}

// canaryShare is the share of a route's weights that goes to the canary
// subset: 1 for the canary alone, 0 without it.
func canaryShare[D routeDestination](dsts []D) float64 {
	var total, canary int32
	for _, d := range dsts {
		w := d.GetWeight()
		if len(dsts) == 1 {
			w = 1
		}
		total += w
		if d.GetDestination().GetSubset() == "canary" {
			canary += w
		}
	}
	if total == 0 {
		return 0
	}
	return float64(canary) / float64(total)
}

func abDescriptions(states []abState) []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = s.Desc
	}
	return out
}

// probeEvery is how often the prober sends each kind of request.
const probeEvery = 40 * time.Millisecond

// prober sends requests with and without insiderHeader to a service through
// the simulator, one of each every probeEvery, and keeps which workload
// answered each: unlike the simulator's per-service counts, it tells the
// two kinds apart.
type prober struct{ probeLog }

// probe is one request the prober sent.
type probe struct {
	At       time.Time
	Insider  bool
	Workload string
	Code     int
}

// startProber starts probing svc until stop or the end of the test.
func startProber(t *testing.T, svc meshsim.ServiceRef) *prober {
	p := &prober{}
	ctx := p.start()
	go p.run(ctx, svc)
	t.Cleanup(p.stop)
	return p
}

func (p *prober) run(ctx context.Context, svc meshsim.ServiceRef) {
	defer close(p.done)
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			for _, insider := range []bool{true, false} {
				req := meshsim.Request{Service: svc}
				if insider {
					req.Headers = insiderHeader
				}
				at := time.Now()
				d, ans := env.sim.Send(req)
				w := "unknown"
				if d.Pod != nil {
					w = meshsim.WorkloadName(d.Pod)
				}
				p.add(probe{At: at, Insider: insider, Workload: w, Code: ans.Code})
			}
		}
	}
}

// waitAtRest waits until at least minShareRequests probes of each kind
// were sent under the app's current routes, switchGuard cut from both ends.
func (p *prober) waitAtRest(a *app) {
	a.t.Helper()
	states := abStates(a.rec.vsHistory(appName))
	from := states[len(states)-1].Start.Add(switchGuard)
	a.eventually(fmt.Sprintf("%d probes of each kind at rest", minShareRequests), func() error {
		insiders, others := p.between(from, time.Now().Add(-switchGuard))
		if n := min(insiders.Requests, others.Requests); n < minShareRequests {
			return fmt.Errorf("%d so far", n)
		}
		return nil
	})
}

// countProbes counts the probes sent in [from, to], the Insider ones and
// the others, as the simulator counts requests.
func countProbes(probes []probe, from, to time.Time) (insiders, others meshsim.Counts) {
	insiders = meshsim.Counts{Workloads: map[string]int64{}, Codes: map[int]int64{}}
	others = meshsim.Counts{Workloads: map[string]int64{}, Codes: map[int]int64{}}
	for _, pr := range probes {
		if pr.At.Before(from) || pr.At.After(to) {
			continue
		}
		c := &others
		if pr.Insider {
			c = &insiders
		}
		c.Requests++
		c.Workloads[pr.Workload]++
		c.Codes[pr.Code]++
	}
	return insiders, others
}
