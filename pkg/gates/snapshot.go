package gates

import (
	"strings"

	"github.com/prometheus/common/model"

	"github.com/meshcanary/meshcanary/pkg/gates/seqtest"
)

// counters are one workload's cumulative counters, by series.
type counters map[string]float64

// snapshot is one batch answer split by workload.
type snapshot map[string]counters

// Label names of the Istio and cAdvisor series that meshcanary reads.
const (
	labelWorkload   = "destination_workload"
	labelCode       = "response_code"
	labelGRPCStatus = "grpc_response_status"
	labelLE         = "le"
	labelPod        = "pod"
)

// snapshotOf splits a vector by the workload label, keying each series by
// the values of the other labels.
func snapshotOf(v model.Vector, keyLabels ...model.LabelName) snapshot {
	out := snapshot{}
	for _, s := range v {
		w := string(s.Metric[labelWorkload])
		if out[w] == nil {
			out[w] = counters{}
		}
		parts := make([]string, len(keyLabels))
		for i, l := range keyLabels {
			parts[i] = string(s.Metric[l])
		}
		out[w][strings.Join(parts, "|")] += float64(s.Value)
	}
	return out
}

// since returns c minus prev, series by series, and false when any series
// went down: a counter was reset or a pod's series vanished, and the
// difference would mix counts from before and after. Such a batch is
// dropped as a whole rather than kept in part, so that a reset of only the
// success series cannot inflate the error rate.
func (c counters) since(prev counters) (counters, bool) {
	d := counters{}
	for k, p := range prev {
		if c[k] < p {
			return nil, false
		}
	}
	for k, v := range c {
		d[k] = v - prev[k] // zeros kept: a bucket boundary with no increase is still a boundary
	}
	return d, true
}

// plus adds two sets of counters.
func (c counters) plus(o counters) counters {
	out := make(counters, len(c)+len(o))
	for k, v := range c {
		out[k] = v
	}
	for k, v := range o {
		out[k] += v
	}
	return out
}

// requests sums request counters keyed "code|grpc status" into requests
// and errors: HTTP 5xx, or a gRPC status other than OK.
func (c counters) requests() (requests, errors float64) {
	for k, v := range c {
		code, grpc, _ := strings.Cut(k, "|")
		requests += v
		if strings.HasPrefix(code, "5") || (grpc != "" && grpc != "0") {
			errors += v
		}
	}
	return requests, errors
}

// comparison builds the counts of a canary and a primary.
func comparison(canary, primary counters) seqtest.Counts {
	var c seqtest.Counts
	c.CanaryRequests, c.CanaryErrors = canary.requests()
	c.PrimaryRequests, c.PrimaryErrors = primary.requests()
	return c
}

// podUse is the summed use of a workload's pods.
type podUse struct {
	pods  int
	total float64
}

func (u podUse) mean() float64 { return u.total / float64(u.pods) }

// usageByDeployment sums per-pod series by the Deployment owning the pod.
func usageByDeployment(v model.Vector) map[string]podUse {
	out := map[string]podUse{}
	for _, s := range v {
		if d, ok := podOwner(string(s.Metric[labelPod])); ok {
			u := out[d]
			u.pods++
			u.total += float64(s.Value)
			out[d] = u
		}
	}
	return out
}

// podOwner returns the Deployment of a pod named
// "<deployment>-<template hash>-<suffix>", the hash 1 to 10 and the suffix
// 5 characters of Kubernetes' random alphabet: the names that
// promql.PodRegex matches. Other pods (StatefulSets, bare pods) have none.
func podOwner(pod string) (string, bool) {
	rest, suffix, ok := cutLast(pod)
	if !ok || len(suffix) != 5 || !randomAlphabet(suffix) {
		return "", false
	}
	d, hash, ok := cutLast(rest)
	if !ok || d == "" || len(hash) < 1 || len(hash) > 10 || !randomAlphabet(hash) {
		return "", false
	}
	return d, true
}

func cutLast(s string) (before, after string, ok bool) {
	i := strings.LastIndexByte(s, '-')
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// randomAlphabet reports whether s uses only the characters of
// k8s.io/apimachinery/pkg/util/rand: no vowels, no 0, 1 or 3.
func randomAlphabet(s string) bool {
	for _, c := range []byte(s) {
		if !strings.ContainsRune("bcdfghjklmnpqrstvwxz2456789", rune(c)) {
			return false
		}
	}
	return true
}
