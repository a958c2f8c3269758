package meshsim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Target is a stream of requests to one service, with Poisson arrivals.
type Target struct {
	Service ServiceRef
	// Rate is the mean number of requests per second.
	Rate float64
	// Source is the caller; DefaultSource when zero.
	Source Source
	// Shapes are the kinds of request sent, each drawn with probability
	// Weight/sum(Weight); a plain GET / when empty.
	Shapes []Shape
	// Gateway, namespace/name, sends the requests through that Istio
	// Gateway for Host (see Request); "" sends them from a sidecar.
	Gateway string
	Host    string
}

// Shape is one kind of request a Target sends, such as requests carrying
// the header or cookie of an A/B route.
type Shape struct {
	Weight float64
	// Method defaults to GET and Path to "/".
	Method  string
	Path    string
	Headers map[string]string
}

// ParseTarget parses "namespace/service=rate", rate in requests per second.
func ParseTarget(s string) (Target, error) {
	svc, rate, ok := strings.Cut(s, "=")
	ns, name, ok2 := strings.Cut(svc, "/")
	if !ok || !ok2 || ns == "" || name == "" {
		return Target{}, fmt.Errorf("target %q: want namespace/service=rate", s)
	}
	r, err := strconv.ParseFloat(rate, 64)
	if err != nil || r <= 0 {
		return Target{}, fmt.Errorf("target %q: rate %q is not a positive number", s, rate)
	}
	return Target{Service: ServiceRef{Namespace: ns, Name: name}, Rate: r}, nil
}

// request draws the next request of the target.
func (t Target) request(rnd *rand.Rand) Request {
	req := Request{Service: t.Service, Source: t.Source, Gateway: t.Gateway, Host: t.Host}
	var total float64
	for _, s := range t.Shapes {
		total += s.Weight
	}
	x := rnd.Float64() * total
	for _, s := range t.Shapes {
		if x -= s.Weight; x < 0 {
			req.Method, req.Path, req.Headers = s.Method, s.Path, s.Headers
			break
		}
	}
	return req
}

// maxBacklog bounds how far arrivals may lag behind the clock: a stalled
// simulator skips older arrivals instead of sending them in one burst.
const maxBacklog = time.Second

// arrivals is a Poisson process: the gaps between arrivals are independent
// and exponentially distributed with mean 1/rate.
type arrivals struct {
	rate float64
	next time.Time
}

// newArrivals starts a Poisson process of rate per second at start.
func newArrivals(rate float64, start time.Time, rnd *rand.Rand) *arrivals {
	a := &arrivals{rate: rate, next: start}
	a.next = a.next.Add(a.gap(rnd))
	return a
}

// due returns the number of arrivals at or before now and moves past them.
func (a *arrivals) due(now time.Time, rnd *rand.Rand) int {
	if now.Sub(a.next) > maxBacklog {
		a.next = now.Add(-maxBacklog)
	}
	n := 0
	for !a.next.After(now) {
		n++
		a.next = a.next.Add(a.gap(rnd))
	}
	return n
}

func (a *arrivals) gap(rnd *rand.Rand) time.Duration {
	return time.Duration(rnd.ExpFloat64() / a.rate * float64(time.Second))
}
