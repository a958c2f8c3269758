//go:build e2e

package xds

import (
	"fmt"
	"time"
)

// unroutable is a stretch of the sidecar's history in which a route of a
// host named a cluster Envoy would answer 503 NC for: absent from CDS, or an
// EDS cluster whose endpoints had not arrived (still warming).
type unroutable struct {
	cluster  string
	why      string
	from, to time.Time
}

func (u unroutable) String() string {
	return fmt.Sprintf("%s (%s) for %s from %s", u.cluster, u.why, u.to.Sub(u.from), u.from.Format("15:04:05.000"))
}

// ncWindows scans every snapshot the sidecar received and returns the
// stretches overlapping [from, to] in which the route of host (in route
// configuration "80") gave weight to a cluster it could not use; these are
// the windows in which requests are answered NC, whether or not a request
// fell into one.
func ncWindows(history []*Snapshot, host string, from, to time.Time) []unroutable {
	var out []unroutable
	for _, u := range unroutables(history, host) {
		if u.to.After(from) && u.from.Before(to) {
			out = append(out, u)
		}
	}
	return out
}

// unroutables returns every stretch of history in which the route of host
// gave weight to a cluster it could not use.
func unroutables(history []*Snapshot, host string) []unroutable {
	var out []unroutable
	open := map[string]unroutable{}
	for _, s := range history {
		route, err := s.Route("80", host)
		bad := map[string]string{}
		for _, wc := range route {
			if err != nil || wc.Weight == 0 && len(route) > 1 {
				continue
			}
			_, known := s.Clusters[wc.Cluster]
			_, warmed := s.Endpoints[wc.Cluster]
			switch {
			case !known:
				bad[wc.Cluster] = "not in CDS"
			case !warmed:
				bad[wc.Cluster] = "no EDS yet"
			}
		}
		for c, why := range bad {
			if _, ok := open[c]; !ok {
				open[c] = unroutable{cluster: c, why: why, from: s.At}
			}
		}
		for c, u := range open {
			if bad[c] == "" {
				u.to = s.At
				out = append(out, u)
				delete(open, c)
			}
		}
	}
	for _, u := range open {
		u.to = history[len(history)-1].At
		out = append(out, u)
	}
	return out
}
