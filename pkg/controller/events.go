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

	"github.com/meshcanary/meshcanary/pkg/config"
)

// Default budget of the Events client (--event-qps, --event-burst).
const (
	DefaultEventQPS   = 20
	DefaultEventBurst = 50
)

// The correlator's limits per Deployment. client-go's defaults suit a
// controller that reports trouble, not a timeline: 25 Events of a type per
// object, then one every 5 minutes, dropped without a word; and from the
// 10th message of one reason in 10 minutes on, one "combined from similar
// events" Event. A release of 5 steps records 7 (role swap) to 9
// (rollout) Normal Events, so the third or fourth release within minutes,
// or the 10th step of one, lost its timeline. These let through, per Deployment and type, a burst of four
// releases of the longest schedule and then one Event every 6 s (600 an
// hour), and combine a reason's messages only past twice the longest
// schedule's steps; the Events client's budget (qps, burst) still bounds
// them all.
const (
	eventBurstPerObject = 4 * (config.MaxSteps + 10)
	eventQPSPerObject   = 1. / 6
	eventsBeforeCombine = 2 * config.MaxSteps
)

// NewEventRecorder returns the recorder of the controller's Events and a
// function that flushes and stops it. Its Events reach the apiserver
// through a client of their own, made from cfg with its own rate limit (qps
// a second, burst at once): the Events of a busy moment — every canary
// released at once, one or more Events per decision — wait behind one
// another, not in front of the writes that move traffic, which keep the
// controller's client and all of its budget. Events still waiting when
// client-go's broadcaster queue is full (1,000) are dropped, and its
// correlator folds repeats of one Event into one with a count, within the
// limits per Deployment above.
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
	broadcaster := record.NewBroadcaster(record.WithContext(ctx), record.WithCorrelatorOptions(record.CorrelatorOptions{
		BurstSize: eventBurstPerObject, QPS: eventQPSPerObject, MaxEvents: eventsBeforeCombine,
	}))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	recorder := broadcaster.NewRecorder(clientgoscheme.Scheme, corev1.EventSource{Component: "meshcanary"})
	return recorder, broadcaster.Shutdown, nil
}
