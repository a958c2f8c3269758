package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"
)

// Default budget of the Events client (--event-qps, --event-burst).
const (
	DefaultEventQPS   = 20
	DefaultEventBurst = 50
)

// NewEventRecorder returns the recorder of the controller's Events and a
// function that flushes and stops it. Its Events reach the apiserver
// through a client of their own, made from cfg with its own rate limit (qps
// a second, burst at once): the Events of a busy moment — every canary
// released at once, one or more Events per decision — wait behind one
// another, not in front of the writes that move traffic, which keep the
// controller's client and all of its budget. Events still waiting when
// client-go's broadcaster queue is full (1,000) are dropped, and its
// correlator folds repeats of one Event into one with a count.
func NewEventRecorder(ctx context.Context, cfg *rest.Config, qps float32, burst int) (record.EventRecorder, func(), error) {
	if qps <= 0 || burst < 1 {
		return nil, nil, fmt.Errorf("the Events client's budget: qps %v and burst %d must be above 0", qps, burst)
	}
	events := rest.CopyConfig(cfg)
	events.QPS, events.Burst, events.RateLimiter = qps, burst, nil
	client, err := kubernetes.NewForConfig(events)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the Events client: %w", err)
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	recorder := broadcaster.NewRecorder(clientgoscheme.Scheme, corev1.EventSource{Component: "meshcanary"})
	return recorder, broadcaster.Shutdown, nil
}
