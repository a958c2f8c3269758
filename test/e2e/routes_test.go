//go:build e2e

package e2e

import (
	"fmt"
	"math"
	"strings"

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
// http route number i stayed the same, with the simulator's counts when the
// stretch began and, if it ended, when it ended.
type routeState struct {
	Route    string
	From, To meshsim.Counts
	Ended    bool
}

// Traffic is what the simulator routed during the stretch; only meaningful
// for a stretch that ended.
func (s routeState) Traffic() meshsim.Counts { return s.To.Sub(s.From) }

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
			out[n-1].To, out[n-1].Ended = v.Counts, true
		}
		out = append(out, routeState{Route: route, From: v.Counts})
	}
	return out
}

// routes lists the Route of each state.
func routes(states []routeState) []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = s.Route
	}
	return out
}

// shareSlack is how many requests of a measured stretch may have been
// routed under the neighbouring state: the simulator and the test watch the
// VirtualService separately, and each sees a write a few milliseconds
// apart (10 requests is 200ms at 50 requests/s).
const shareSlack = 10

// shareSigmas is how many standard deviations the observed share may be
// from the weight: a correct router fails the check with probability about
// 6e-5 per stretch.
const shareSigmas = 4

// minShareRequests is the fewest requests a share strictly between 0 and 1
// is judged on. A share of 0 or 1 is judged on any number: then at most
// shareSlack requests may go to the other side.
const minShareRequests = 100

// shareError says why the share of requests answered by workload in c is
// not p, nil when it is within the binomial tolerance
// shareSigmas·sqrt(p(1-p)/n) + shareSlack/n.
func shareError(c meshsim.Counts, workload string, p float64) error {
	n := float64(c.Requests)
	if c.Requests == 0 || (p > 0 && p < 1 && c.Requests < minShareRequests) {
		return fmt.Errorf("only %d requests, want at least %d to judge a share", c.Requests, minShareRequests)
	}
	got := c.Share(workload)
	tol := shareSigmas*math.Sqrt(p*(1-p)/n) + shareSlack/n
	if math.Abs(got-p) > tol {
		return fmt.Errorf("%s answered %d of %d requests (%.4f), want %.4f ± %.4f", workload, c.Workloads[workload], c.Requests, got, p, tol)
	}
	return nil
}
