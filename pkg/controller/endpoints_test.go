package controller

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// The EndpointSlice controller lags the Deployment controller (tens of
// seconds in a busy cluster): the canary's Deployment reports all its
// replicas available, its subset is old enough, and still no route gives
// it weight until its pods are ready endpoints of the Service, which
// istiod pushes to the sidecars. Then the first step goes in. Both
// promotions: a rollout (the user's Deployment's pods of the canary hash)
// and a role swap (the canary slot's pods).
func TestTheFirstWeightWaitsForTheCanarysEndpoints(t *testing.T) {
	for name, tc := range map[string]struct {
		fixture func(t *testing.T) *fixture
		canary  string // the Deployment running the canary
		slot    bool
	}{
		"rollout": {
			fixture: func(t *testing.T) *fixture {
				f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{
					config.Prefix + config.KeySteps: "5,50",
				})})
				f.adopt()
				f.setImage("web:v2", "h2")
				return f
			},
			canary: "web",
		},
		"role swap": {
			fixture: func(t *testing.T) *fixture {
				f, _ := swapFixture(t)
				f.changeImage("web:v2")
				return f
			},
			canary: "web-slot-b",
			slot:   true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := tc.fixture(t)
			weight := func() int32 {
				st := f.status()
				_, w := istio.ObserveRouting(f.virtualService(), istio.Target{Namespace: "ns", Service: "web", Deployment: "web", Slot: st.PrimarySlot})
				return w
			}
			// The Deployment controller rolls the canary out; the
			// EndpointSlice controller publishes nothing.
			for range 12 {
				requeue := f.reconcile()
				if w := weight(); w > 0 {
					t.Fatalf("weight %d before the canary's pods are endpoints (status %q)", w, f.status().Message)
				}
				if d, err := f.kube.AppsV1().Deployments("ns").Get(context.Background(), tc.canary, metav1.GetOptions{}); err == nil &&
					ptr.Deref(d.Spec.Replicas, 0) > 0 && d.Status.AvailableReplicas != ptr.Deref(d.Spec.Replicas, 0) {
					f.markRolledOut(tc.canary)
				}
				f.clock.Step(max(requeue, stepper.SubsetLead))
			}
			st := f.status()
			if st.Phase != stepper.PhaseProgressing || st.Step != 0 {
				t.Fatalf("phase %s step %d, want Progressing at step 0 waiting for the endpoints", st.Phase, st.Step)
			}
			if d := f.deployment(tc.canary); d.Status.AvailableReplicas == 0 {
				t.Fatalf("the canary %s never became available", tc.canary)
			}
			// Endpoints of other pods (the primary's, a pod not ready)
			// do not count.
			if tc.slot {
				f.publishEndpoints(config.SlotName("web", config.SlotA))
			} else {
				f.publishEndpoints("web-primary")
			}
			for range 3 {
				f.clock.Step(max(f.reconcile(), stepper.SubsetLead))
				if w := weight(); w > 0 {
					t.Fatalf("weight %d with only the primary's pods as endpoints", w)
				}
			}
			f.publishEndpoints(tc.canary)
			for range 6 {
				f.clock.Step(f.reconcile())
				if weight() > 0 {
					if st := f.status(); st.Step != 1 {
						t.Errorf("weight at step %d, want 1", st.Step)
					}
					return
				}
			}
			t.Fatalf("no weight once the canary's pods are endpoints: %+v", f.status())
		})
	}
}

// canaryEndpoints counts the canary's ready pods once, whatever slices
// (IPv4 and IPv6) list them, and no other pod: not ready, another
// ReplicaSet's, another Service's.
func TestCanaryEndpointsCountsTheCanarysReadyPods(t *testing.T) {
	no := false
	ep := func(pod string, ready *bool) discoveryv1.Endpoint {
		return discoveryv1.Endpoint{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ready},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: pod}}
	}
	slice := func(name, svc string, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
		return &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns",
			Labels: map[string]string{discoveryv1.LabelServiceName: svc, "other": "label"}}, Endpoints: eps}
	}
	idx := indexer(endpointSliceIndexers)
	for _, s := range []*discoveryv1.EndpointSlice{
		slice("web-v4", "web", ep("web-h2-a", nil), ep("web-h2-b", ptr.To(true)), ep("web-h2-c", &no), ep("web-h1-d", ptr.To(true)),
			ep("web-primary-h0-e", ptr.To(true))),
		slice("web-v6", "web", ep("web-h2-a", ptr.To(true))),
		slice("other", "other", ep("web-h2-f", ptr.To(true))),
	} {
		stripped, _ := stripEndpointSlice(s)
		if err := idx.Add(stripped); err != nil {
			t.Fatal(err)
		}
	}
	cs := &caches{idx: indexers{endpoints: idx}}
	s := &snapshot{user: webDeployment(nil), target: istio.Target{Namespace: "ns", Service: "web", Deployment: "web"},
		obs: stepper.Observations{CanaryHash: "h2"}}
	if got := canaryEndpoints(cs, s); got != 2 {
		t.Errorf("canary endpoints = %d, want 2 (web-h2-a, web-h2-b)", got)
	}
	obj, _, _ := idx.GetByKey("ns/web-v4")
	if es := obj.(*discoveryv1.EndpointSlice); len(es.Endpoints) != 4 || es.Endpoints[0].Addresses != nil || len(es.Labels) != 1 {
		t.Errorf("stripped slice %+v, want the 4 ready pods' names and the service label only", es)
	}
}

// A ReplicaSet's pods are named after it truncated to 58 characters
// (the API server's generateName), so the prefix is too.
func TestPodPrefixIsTruncatedAsGenerateName(t *testing.T) {
	if got := podPrefix("web-5d8f7c"); got != "web-5d8f7c-" {
		t.Errorf("podPrefix = %q", got)
	}
	long := strings.Repeat("x", 60) + "-5d8f7c"
	if got := podPrefix(long); got != long[:58] {
		t.Errorf("podPrefix of a long name = %q, want %q", got, long[:58])
	}
}
