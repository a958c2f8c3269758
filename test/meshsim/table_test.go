package meshsim

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	clocktesting "k8s.io/utils/clock/testing"
)

// fixedTable is a RouteTable that answers every request the same way and
// records the port it was asked for.
type fixedTable struct {
	route TableRoute
	port  uint32
}

func (f *fixedTable) RouteRequest(_ Request, port uint32, _ *rand.Rand) TableRoute {
	f.port = port
	return f.route
}

// withIP gives a pod a pod IP.
func (b *podBuilder) withIP(ip string) *podBuilder { b.pod.Status.PodIP = ip; return b }

func TestTableDecision(t *testing.T) {
	canary := canaryPod("a").withIP("10.0.0.7").obj()
	m := meshOf(t, service(app), primaryPod("a").withIP("10.0.0.5").obj(), canary)
	req := Request{Service: podinfo}
	tests := map[string]struct {
		req   Request
		route TableRoute
		want  Decision
	}{
		"an endpoint is answered by the pod with its IP": {
			req:   req,
			route: TableRoute{Service: podinfo, Subset: "canary", Endpoint: "10.0.0.7"},
			want:  Decision{Upstream: Upstream{Service: podinfo, Subset: "canary", Pod: canary}, Flags: NoFlags},
		},
		"an endpoint without a pod is a connection failure, 503 UF": {
			req:   req,
			route: TableRoute{Service: podinfo, Subset: "canary", Endpoint: "10.0.0.99"},
			want:  Decision{Upstream: Upstream{Service: podinfo, Subset: "canary"}, Code: 503, Flags: FlagUpstreamFailure},
		},
		"a local reply keeps the table's code and flags": {
			req:   req,
			route: TableRoute{Service: podinfo, Subset: "canary", Code: 503, Flags: FlagNoHealthyUpstream},
			want:  Decision{Upstream: Upstream{Service: podinfo, Subset: "canary"}, Code: 503, Flags: FlagNoHealthyUpstream},
		},
		"a redirect without flags says none": {
			req:   req,
			route: TableRoute{Code: 301},
			want:  Decision{Code: 301, Flags: NoFlags},
		},
		"a request through a gateway has no sidecar route": {
			req:   Request{Service: podinfo, Gateway: "shop/ingress"},
			route: TableRoute{Service: podinfo, Endpoint: "10.0.0.5"},
			want:  Decision{Upstream: Upstream{Service: podinfo}, Code: 404, Flags: FlagNoRoute},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			table := &fixedTable{route: tt.route}
			got := tableDecision(m, table, tt.req, seeded(1), nil)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTableIsAskedForTheServicesFirstPort(t *testing.T) {
	m := meshOf(t, service(app))
	table := &fixedTable{route: TableRoute{Code: 404, Flags: FlagNoRoute}}
	tableDecision(m, table, Request{Service: podinfo}, seeded(1), nil)
	if table.port != 9898 {
		t.Errorf("port asked for %d, want the service's first port 9898", table.port)
	}
	tableDecision(m, table, Request{Service: ServiceRef{Namespace: ns, Name: "unknown"}}, seeded(1), nil)
	if table.port != 0 {
		t.Errorf("port asked for an unknown service %d, want 0", table.port)
	}
}

func TestSimRoutesByTheTable(t *testing.T) {
	primary := primaryPod("a").withIP("10.0.0.5").obj()
	kube, istio := fakeClients(service(app), primary)
	table := &fixedTable{route: TableRoute{Service: podinfo, Subset: "primary", Endpoint: "10.0.0.5"}}
	s, err := NewForClients(kube, istio, Options{Namespaces: []string{ns}, Rand: seeded(3), Routes: table})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.watch.start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.watch.stop)
	d, a := s.Send(Request{Service: podinfo})
	if d.Pod == nil || d.Pod.Name != primary.Name || a.Code != 200 {
		t.Fatalf("the request went to %v and was answered %d, want %s and 200", d.Pod, a.Code, primary.Name)
	}
	if got := s.Counts(ns, app).Subsets["primary"]; got != 1 {
		t.Errorf("requests counted to subset primary = %d, want 1", got)
	}
}

func TestRoutesAndPropagationExcludeEachOther(t *testing.T) {
	kube, istio := fakeClients()
	_, err := NewForClients(kube, istio, Options{Routes: &fixedTable{}, Propagation: &Propagation{Proxies: 1}})
	if err == nil {
		t.Fatal("a Sim with both a route table and propagation was created")
	}
}

func TestADeletedPodAnswersThroughItsGracePeriodInTableMode(t *testing.T) {
	primary := primaryPod("a").withIP("10.0.0.5").obj()
	kube, istio := fakeClients(service(app), primary)
	podsWatched := watchOpened(kube, "pods")
	clk := clocktesting.NewFakeClock(time.Unix(1000, 0))
	table := &fixedTable{route: TableRoute{Service: podinfo, Subset: "primary", Endpoint: "10.0.0.5"}}
	s, err := NewForClients(kube, istio, Options{Namespaces: []string{ns}, Rand: seeded(3), Clock: clk, Routes: table})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	<-podsWatched
	if err := kube.CoreV1().Pods(ns).Delete(t.Context(), primary.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the pod to leave the cache", func() bool { return len(s.watch.Pods(ns, labels.Everything())) == 0 })

	if d, _ := s.Send(Request{Service: podinfo}); d.Pod == nil || d.Pod.Name != primary.Name {
		t.Errorf("within its grace period the deleted pod did not answer: %+v", d)
	}
	clk.Step(defaultGrace + time.Second)
	if d, a := s.Send(Request{Service: podinfo}); d.Flags != FlagUpstreamFailure || a.Code != 503 {
		t.Errorf("after its grace period: flags %q code %d, want %s 503", d.Flags, a.Code, FlagUpstreamFailure)
	}
}
