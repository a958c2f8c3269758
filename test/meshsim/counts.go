package meshsim

import "maps"

// Counts is what callers of one service saw, counted since the simulator
// started. Take two and Sub them to measure one interval.
type Counts struct {
	// Requests is the number of requests callers sent.
	Requests int64 `json:"requests"`
	// Workloads counts requests by the destination workload that answered
	// (see WorkloadName), "unknown" when the mesh answered itself.
	Workloads map[string]int64 `json:"workloads"`
	// Subsets counts requests by the DestinationRule subset the route drew,
	// whether or not a pod answered; NoFlags ("-") when it named none.
	Subsets map[string]int64 `json:"subsets"`
	// Codes counts requests by the response code the caller saw.
	Codes map[int]int64 `json:"codes"`
	// Flags counts requests by Envoy response flags, NoFlags when none.
	Flags map[string]int64 `json:"flags"`
	// Mirrored counts mirrored copies by the workload that received them;
	// callers never see their answers.
	Mirrored map[string]int64 `json:"mirrored"`
}

// newCounts returns empty Counts with every map allocated.
func newCounts() Counts {
	return Counts{
		Workloads: map[string]int64{},
		Subsets:   map[string]int64{},
		Codes:     map[int]int64{},
		Flags:     map[string]int64{},
		Mirrored:  map[string]int64{},
	}
}

// add counts one request the caller saw answered with code.
func (c *Counts) add(d Decision, code int) {
	c.Requests++
	workload, subset := unknown, NoFlags
	if d.Pod != nil {
		workload = WorkloadName(d.Pod)
	}
	if d.Subset != "" {
		subset = d.Subset
	}
	c.Workloads[workload]++
	c.Subsets[subset]++
	c.Codes[code]++
	c.Flags[d.Flags]++
	for _, m := range d.Mirrors {
		c.Mirrored[WorkloadName(m.Pod)]++
	}
}

// clone returns a deep copy.
func (c Counts) clone() Counts {
	return Counts{
		Requests:  c.Requests,
		Workloads: maps.Clone(c.Workloads),
		Subsets:   maps.Clone(c.Subsets),
		Codes:     maps.Clone(c.Codes),
		Flags:     maps.Clone(c.Flags),
		Mirrored:  maps.Clone(c.Mirrored),
	}
}

// Sub returns the counts of the interval between an earlier snapshot and c.
// Keys whose count did not change are left out.
func (c Counts) Sub(earlier Counts) Counts {
	return Counts{
		Requests:  c.Requests - earlier.Requests,
		Workloads: subMap(c.Workloads, earlier.Workloads),
		Subsets:   subMap(c.Subsets, earlier.Subsets),
		Codes:     subMap(c.Codes, earlier.Codes),
		Flags:     subMap(c.Flags, earlier.Flags),
		Mirrored:  subMap(c.Mirrored, earlier.Mirrored),
	}
}

// Share returns the fraction of requests a workload answered, 0 when there
// were none.
func (c Counts) Share(workload string) float64 {
	if c.Requests == 0 {
		return 0
	}
	return float64(c.Workloads[workload]) / float64(c.Requests)
}

// Shares returns Share for every workload that answered.
func (c Counts) Shares() map[string]float64 {
	out := make(map[string]float64, len(c.Workloads))
	for w := range c.Workloads {
		out[w] = c.Share(w)
	}
	return out
}

func subMap[K comparable](now, before map[K]int64) map[K]int64 {
	out := map[K]int64{}
	for k, v := range now {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}
