package meshsim

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"istio.io/api/networking/v1alpha3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// chiSquare001 are the critical values of the chi-square distribution at
// significance 0.001 by degrees of freedom.
var chiSquare001 = map[int]float64{1: 10.828, 2: 13.816, 3: 16.266}

func TestRouteDrawsDestinationsInProportionToTheirWeights(t *testing.T) {
	tests := map[string][]any{
		"0.5 % to the canary is 5 in 1000":           {"primary", 995, "canary", 5},
		"0.01 % to the canary is 1 in 10000":         {"primary", 9999, "canary", 1},
		"half and half":                              {"primary", 50, "canary", 50},
		"weights need not sum to 100":                {"primary", 3, "canary", 1},
		"all to the canary leaves the primary none":  {"primary", 0, "canary", 100},
		"a lone destination with weight 0 gets all":  {"canary", 0},
		"weights over subsets of three destinations": {"primary", 700, "canary", 200, "primary", 100},
	}
	const draws = 100_000
	for name, weights := range tests {
		t.Run(name, func(t *testing.T) {
			m := meshOf(t, service(app), primaryPod("a").obj(), primaryPod("b").obj(), canaryPod("a").obj(),
				destinationRule(), virtualService(app, []string{app}, weighted(weights...)))
			want, total := map[string]float64{}, 0.0
			for i := 0; i < len(weights); i += 2 {
				want[weights[i].(string)] += float64(weights[i+1].(int))
				total += float64(weights[i+1].(int))
			}
			if total == 0 { // a lone destination
				want[weights[0].(string)], total = 1, 1
			}
			rnd := seeded(1)
			got := map[string]int{}
			for range draws {
				d := Route(m, Request{Service: podinfo}, rnd)
				if d.Pod == nil {
					t.Fatalf("request answered by the mesh: %d %s", d.Code, d.Flags)
				}
				if w, wantW := WorkloadName(d.Pod), map[string]string{"primary": "podinfo-primary", "canary": "podinfo"}[d.Subset]; w != wantW {
					t.Fatalf("subset %s answered by workload %s, want %s", d.Subset, w, wantW)
				}
				got[d.Subset]++
			}
			chi2, df := 0.0, -1
			for subset, w := range want {
				expected := draws * w / total
				if w == 0 {
					if got[subset] != 0 {
						t.Errorf("subset %s with weight 0 got %d requests", subset, got[subset])
					}
					continue
				}
				df++
				chi2 += math.Pow(float64(got[subset])-expected, 2) / expected
			}
			if df > 0 && chi2 > chiSquare001[df] {
				t.Errorf("counts %v for weights %v: chi-square %.2f > %.2f (df %d)", got, weights, chi2, chiSquare001[df], df)
			}
		})
	}
}

func TestRouteAnswersLocallyWhenNoPodCanTakeTheRequest(t *testing.T) {
	toCanary := virtualService(app, []string{app}, weighted("primary", 0, "canary", 100))
	type answer struct {
		Code  int
		Flags string
		NoPod bool
	}
	tests := map[string]struct {
		objs []runtime.Object
		want answer
	}{
		"a subset whose pods are not Ready is 503 UH": {
			objs: []runtime.Object{primaryPod("a").obj(), canaryPod("a").notReady().obj(), destinationRule(), toCanary},
			want: answer{503, FlagNoHealthyUpstream, true},
		},
		"a subset whose only pod is terminating is 503 UH": {
			objs: []runtime.Object{primaryPod("a").obj(), canaryPod("a").terminating().obj(), destinationRule(), toCanary},
			want: answer{503, FlagNoHealthyUpstream, true},
		},
		"a subset without pods is 503 UH": {
			objs: []runtime.Object{primaryPod("a").obj(), destinationRule(), toCanary},
			want: answer{503, FlagNoHealthyUpstream, true},
		},
		"a subset missing from the DestinationRule is 503 NC": {
			objs: []runtime.Object{canaryPod("a").obj(), destinationRule(),
				virtualService(app, []string{app}, weighted("v2", 100))},
			want: answer{503, FlagNoCluster, true},
		},
		"a subset without any DestinationRule is 503 NC": {
			objs: []runtime.Object{canaryPod("a").obj(), toCanary},
			want: answer{503, FlagNoCluster, true},
		},
		"a route to a service that does not exist is 503 NC": {
			objs: []runtime.Object{canaryPod("a").obj(), virtualService(app, []string{app}, &v1alpha3.HTTPRoute{
				Route: []*v1alpha3.HTTPRouteDestination{{Destination: &v1alpha3.Destination{Host: "missing"}}},
			})},
			want: answer{503, FlagNoCluster, true},
		},
		"a service without Ready pods and no VirtualService is 503 UH": {
			objs: []runtime.Object{canaryPod("a").notReady().obj()},
			want: answer{503, FlagNoHealthyUpstream, true},
		},
		"a request no route matches is 404 NR": {
			objs: []runtime.Object{canaryPod("a").obj(), virtualService(app, []string{app}, &v1alpha3.HTTPRoute{
				Match: []*v1alpha3.HTTPMatchRequest{{Uri: prefix("/admin")}},
				Route: []*v1alpha3.HTTPRouteDestination{{Destination: &v1alpha3.Destination{Host: app}}},
			})},
			want: answer{404, FlagNoRoute, true},
		},
		"an abort fault for every request answers its status with FI": {
			objs: []runtime.Object{canaryPod("a").obj(), virtualService(app, []string{app}, &v1alpha3.HTTPRoute{
				Fault: &v1alpha3.HTTPFaultInjection{Abort: &v1alpha3.HTTPFaultInjection_Abort{
					ErrorType:  &v1alpha3.HTTPFaultInjection_Abort_HttpStatus{HttpStatus: 418},
					Percentage: &v1alpha3.Percent{Value: 100},
				}},
				Route: []*v1alpha3.HTTPRouteDestination{{Destination: &v1alpha3.Destination{Host: app}}},
			})},
			want: answer{418, FlagFaultAbort, true},
		},
		"an abort fault without a percentage aborts nothing": {
			objs: []runtime.Object{canaryPod("a").obj(), virtualService(app, []string{app}, &v1alpha3.HTTPRoute{
				Fault: &v1alpha3.HTTPFaultInjection{Abort: &v1alpha3.HTTPFaultInjection_Abort{
					ErrorType: &v1alpha3.HTTPFaultInjection_Abort_HttpStatus{HttpStatus: 418},
				}},
				Route: []*v1alpha3.HTTPRouteDestination{{Destination: &v1alpha3.Destination{Host: app}}},
			})},
			want: answer{0, NoFlags, false},
		},
		"a delay fault lets the request through flagged DI": {
			objs: []runtime.Object{canaryPod("a").obj(), virtualService(app, []string{app}, &v1alpha3.HTTPRoute{
				Fault: &v1alpha3.HTTPFaultInjection{Delay: &v1alpha3.HTTPFaultInjection_Delay{
					HttpDelayType: &v1alpha3.HTTPFaultInjection_Delay_FixedDelay{FixedDelay: durationpb.New(time.Second)},
					Percentage:    &v1alpha3.Percent{Value: 100},
				}},
				Route: []*v1alpha3.HTTPRouteDestination{{Destination: &v1alpha3.Destination{Host: app}}},
			})},
			want: answer{0, FlagFaultDelay, false},
		},
		"a direct response is the mesh's answer": {
			objs: []runtime.Object{canaryPod("a").obj(), virtualService(app, []string{app}, &v1alpha3.HTTPRoute{
				DirectResponse: &v1alpha3.HTTPDirectResponse{Status: 204},
			})},
			want: answer{204, NoFlags, true},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := meshOf(t, append(tc.objs, service(app))...)
			d := Route(m, Request{Service: podinfo}, seeded(1))
			if diff := cmp.Diff(tc.want, answer{d.Code, d.Flags, d.Pod == nil}); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouteAnswersAnUnknownServiceWith404NR(t *testing.T) {
	m := meshOf(t, service(app), canaryPod("a").obj())
	d := Route(m, Request{Service: ServiceRef{Namespace: ns, Name: "nope"}}, seeded(1))
	if d.Code != 404 || d.Flags != FlagNoRoute || d.Pod != nil {
		t.Errorf("got %d %s pod %v, want 404 NR without pod", d.Code, d.Flags, d.Pod)
	}
}

func TestRouteWithoutVirtualServiceSpreadsOverReadyPods(t *testing.T) {
	m := meshOf(t, service(app), primaryPod("a").obj(), primaryPod("b").obj(), canaryPod("a").obj(),
		canaryPod("b").notReady().obj(), canaryPod("c").terminating().obj())
	rnd := seeded(2)
	got := map[string]int{}
	for range 3000 {
		got[Route(m, Request{Service: podinfo}, rnd).Pod.Name]++
	}
	if len(got) != 3 {
		t.Fatalf("pods chosen %v, want exactly the three Ready ones", got)
	}
	for pod, n := range got {
		// 1000 expected, binomial σ ≈ 25.8: 5σ either side.
		if n < 871 || n > 1129 {
			t.Errorf("pod %s got %d of 3000 requests, want about 1000", pod, n)
		}
	}
}

func TestRouteFindsTheVirtualServiceOfTheHost(t *testing.T) {
	direct := func(name string, status uint32, hosts ...string) *v1alpha3.HTTPRoute {
		return &v1alpha3.HTTPRoute{Name: name, DirectResponse: &v1alpha3.HTTPDirectResponse{Status: status}}
	}
	aged := func(vs runtime.Object, sec int64) runtime.Object {
		vs.(metav1.Object).SetCreationTimestamp(metav1.Unix(sec, 0))
		return vs
	}
	tests := map[string]struct {
		vss      []runtime.Object
		wantCode int // 0: a pod answered, no VirtualService applied
	}{
		"a short host": {
			vss: []runtime.Object{virtualService("a", []string{"podinfo"}, direct("", 201))}, wantCode: 201,
		},
		"a name.namespace host": {
			vss: []runtime.Object{virtualService("a", []string{"podinfo.shop"}, direct("", 201))}, wantCode: 201,
		},
		"a fully qualified host": {
			vss: []runtime.Object{virtualService("a", []string{"podinfo.shop.svc.cluster.local"}, direct("", 201))}, wantCode: 201,
		},
		"a host of another service does not apply": {
			vss: []runtime.Object{virtualService("a", []string{"other"}, direct("", 201))},
		},
		"a VirtualService bound only to an ingress gateway does not apply": {
			vss: []runtime.Object{func() runtime.Object {
				vs := virtualService("a", []string{app}, direct("", 201))
				vs.Spec.Gateways = []string{"istio-system/public"}
				return vs
			}()},
		},
		"a VirtualService bound to the mesh and a gateway applies": {
			vss: []runtime.Object{func() runtime.Object {
				vs := virtualService("a", []string{app}, direct("", 201))
				vs.Spec.Gateways = []string{"istio-system/public", "mesh"}
				return vs
			}()}, wantCode: 201,
		},
		"an exact host beats an older wildcard": {
			vss: []runtime.Object{
				aged(virtualService("wild", []string{"*.shop.svc.cluster.local"}, direct("", 202)), 1),
				aged(virtualService("exact", []string{app}, direct("", 203)), 2),
			}, wantCode: 203,
		},
		"the oldest of two exact hosts wins": {
			vss: []runtime.Object{
				aged(virtualService("young", []string{app}, direct("", 202)), 2),
				aged(virtualService("old", []string{app}, direct("", 203)), 1),
			}, wantCode: 203,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := meshOf(t, append(tc.vss, service(app), canaryPod("a").obj())...)
			if d := Route(m, Request{Service: podinfo}, seeded(1)); d.Code != tc.wantCode {
				t.Errorf("code %d, want %d", d.Code, tc.wantCode)
			}
		})
	}
}
