//go:build e2e

package e2e

import (
	"fmt"
	"math"
	"strings"
	"time"

	apinetworkingv1 "istio.io/api/networking/v1"

	"github.com/meshcanary/meshcanary/test/meshsim"
)

// routeDeleted is the route state of a deleted VirtualService.
const routeDeleted = "deleted"

// describeRoute writes the destinations of a route as one line: the
// subset (or the host when there is none) of each, with "=weight" when a
// weight is written. "primary" is the primary subset alone;
// "primary=90 canary=10" a split.
func describeRoute[D routeDestination](dsts []D) string {
	var parts []string
	for _, d := range dsts {
		p := d.GetDestination().GetSubset()
		if p == "" {
			p = d.GetDestination().GetHost()
		}
		if d.GetWeight() != 0 {
			p += fmt.Sprintf("=%d", d.GetWeight())
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

// routeDestination is what http and tcp route destinations share.
type routeDestination interface {
	GetDestination() *apinetworkingv1.Destination
	GetWeight() int32
}

// split is the route state "primary=P canary=C".
func split(primary, canary int32) string {
	return fmt.Sprintf("primary=%d canary=%d", primary, canary)
}

// routeState is one stretch of a VirtualService's history during which its
// http route number i stayed the same: from Start, when the test saw it
// written, to End, when the test saw the next version (zero if none yet).
type routeState struct {
	Route      string
	Start, End time.Time
}

// routeStates folds a VirtualService's history into the successive states
// of its http route number i (routeDeleted once deleted).
func routeStates(history []vsVersion, i int) []routeState {
	var out []routeState
	for _, v := range history {
		route := routeDeleted
		if v.VS != nil {
			route = "no http route"
			if http := v.VS.Spec.GetHttp(); i < len(http) {
				route = describeRoute(http[i].GetRoute())
			}
		}
		if n := len(out); n > 0 {
			if out[n-1].Route == route {
				continue
			}
			out[n-1].End = v.At
		}
		out = append(out, routeState{Route: route, Start: v.At})
	}
	return out
}

// routes lists the Route of each state.
func routes(states []routeState) []string {
	return mapped(states, func(s routeState) string { return s.Route })
}

// mapped is f of each of in, in order.
func mapped[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// switchGuard is cut from both ends of a stretch before its traffic is
// measured: the simulator and the test watch the VirtualService separately
// and may see a write a little apart, so only requests well inside the
// stretch are sure to have been routed by it.
const switchGuard = time.Second

// stretchTraffic is what the simulator routed to the app during a stretch
// that ended, without switchGuard at either end.
func (a *app) stretchTraffic(s routeState) meshsim.Counts {
	return a.rec.traffic.between(s.Start.Add(switchGuard), s.End.Add(-switchGuard))
}

// trafficSince waits until at least minShareRequests requests were sent
// since switchGuard after start, and returns them.
func (a *app) trafficSince(start time.Time) meshsim.Counts {
	a.t.Helper()
	var c meshsim.Counts
	a.eventually(fmt.Sprintf("%d requests to measure", minShareRequests), func() error {
		c = a.rec.traffic.between(start.Add(switchGuard), time.Now())
		if c.Requests < minShareRequests {
			return fmt.Errorf("%d requests so far", c.Requests)
		}
		return nil
	})
	return c
}

// shareSigmas is how many standard deviations the observed share may be
// from the weight: a correct router fails the check with probability about
// 6e-5 per stretch.
const shareSigmas = 4

// minShareRequests is the fewest requests a share is judged on.
const minShareRequests = 100

// shareError says why the share of requests answered by workload in c is
// not p, nil when it is within the binomial tolerance
// shareSigmas·sqrt(p(1-p)/n): exactly p when p is 0 or 1.
func shareError(c meshsim.Counts, workload string, p float64) error {
	n := float64(c.Requests)
	if c.Requests < minShareRequests {
		return fmt.Errorf("only %d requests, want at least %d to judge a share", c.Requests, minShareRequests)
	}
	got := c.Share(workload)
	tol := shareSigmas * math.Sqrt(p*(1-p)/n)
	if math.Abs(got-p) > tol {
		return fmt.Errorf("%s answered %d of %d requests (%.4f), want %.4f ± %.4f", workload, c.Workloads[workload], c.Requests, got, p, tol)
	}
	return nil
}
