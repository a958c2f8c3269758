// Package workload computes the Kubernetes workloads meshcanary keeps beside
// the user's Deployment — the primary Deployment and the twin of a
// HorizontalPodAutoscaler — and reads rollout state from Deployments.
//
// Everything here is a pure function of its arguments; objects passed in come
// from informer caches and are never modified.
package workload
