package controller

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	apinetworkingv1 "istio.io/api/networking/v1"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

var webTarget = istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}

// publicWeb is an ingress VirtualService of istio-system bound to a
// gateway, routing its host to ns/web by FQDN with a timeout of its own.
func publicWeb() *networkingv1.VirtualService {
	vs := routeTo("istio-system", "public-web", []string{"shop.example.com"}, "web.ns.svc.cluster.local")
	vs.Spec.Gateways = []string{"istio-system/public"}
	vs.Spec.Http[0].Timeout = durationpb.New(3 * time.Second)
	vs.ResourceVersion = "7"
	return vs
}

func (f *fixture) gatewayVirtualService() *networkingv1.VirtualService {
	f.t.Helper()
	vs, err := f.istio.NetworkingV1().VirtualServices("istio-system").Get(context.Background(), "public-web", metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("get istio-system/public-web: %v", err)
	}
	return vs
}

// releasingWithGateway is a fixture of web, with annotations, that
// publicWeb routes to from istio-system, allowed: adopted, with a new
// template to release.
func releasingWithGateway(t *testing.T, annotations map[string]string) *fixture {
	t.Helper()
	f := newFixture(t, []runtime.Object{webService(), webDeployment(annotations)}, publicWeb())
	f.c.allowed = []string{"istio-system"}
	f.adopt()
	f.setImage("web:v2", "h2")
	return f
}

// failGatewayWrites makes every update of a VirtualService of
// istio-system fail while *fail is set, as a controller that dies at that
// write.
func (f *fixture) failGatewayWrites(fail *bool) {
	f.istio.PrependReactor("update", "virtualservices", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if *fail && a.GetNamespace() == "istio-system" {
			return true, nil, errors.New("the controller died here")
		}
		return false, nil, nil
	})
}

func TestAGatewayVirtualServiceInAnAllowedNamespaceCarriesTheSameWeightsAtEveryStep(t *testing.T) {
	f := releasingWithGateway(t, map[string]string{
		config.Prefix + config.KeySteps: "0.5,5,50", config.Prefix + config.KeyScaleDownDelay: "0s",
	})

	var weights []int32
	listed := false
	st := f.release(func(st stepper.Status) {
		f.refresh()
		_, home := istio.ObserveRouting(f.virtualService(), webTarget)
		routed, gw := istio.ObserveRouting(f.gatewayVirtualService(), webTarget)
		if !routed || gw != home {
			t.Fatalf("phase %s step %d: the gateway VirtualService routes %v with weight %d, the home one %d", st.Phase, st.Step, routed, gw, home)
		}
		if len(weights) == 0 || weights[len(weights)-1] != gw {
			weights = append(weights, gw)
		}
		if st.Phase == stepper.PhaseProgressing && st.Step >= 1 {
			want := []stepper.SplitVirtualService{{Ref: "ns/web", Kind: "home", Weight: st.Weight}, {Ref: "istio-system/public-web", Kind: "ingress", Weight: st.Weight}}
			if diff := cmp.Diff(want, st.VirtualServices); diff != "" {
				t.Errorf("step %d: the status's VirtualServices (-want +got):\n%s", st.Step, diff)
			}
			listed = true
		}
	})
	if st.Phase != stepper.PhaseSucceeded || !listed {
		t.Fatalf("phase %s (%s), VirtualServices listed while stepping: %v", st.Phase, st.Message, listed)
	}
	if diff := cmp.Diff([]int32{0, 5, 50, 500, 0}, weights); diff != "" {
		t.Errorf("canary weights of the gateway VirtualService out of 1000 (-want +got):\n%s", diff)
	}
	gw := f.gatewayVirtualService()
	if gw.Spec.Http[0].Timeout.AsDuration() != 3*time.Second || gw.Spec.Gateways[0] != "istio-system/public" || gw.Spec.Hosts[0] != "shop.example.com" {
		t.Errorf("the gateway VirtualService lost its own fields: %v", &gw.Spec)
	}
	if got := gw.Annotations[config.RoutesForAnnotation]; got != "ns/web" {
		t.Errorf("routes-for of the gateway VirtualService = %q, want ns/web", got)
	}
	if _, ok := gw.Annotations[config.StatusAnnotation]; ok {
		t.Errorf("the gateway VirtualService holds a status; only the home one does")
	}
}

func TestAGatewayVirtualServiceInANamespaceNotAllowedIsReportedAndLeftAlone(t *testing.T) {
	original := publicWeb()
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{config.Prefix + config.KeySteps: "50"})}, original.DeepCopy())
	core, logs := observer.New(zap.WarnLevel)
	f.c.log = zap.New(core)
	f.adopt()
	f.setImage("web:v2", "h2")
	st := f.release(func(stepper.Status) {
		gw := f.gatewayVirtualService()
		if !proto.Equal(&original.Spec, &gw.Spec) || gw.ResourceVersion != original.ResourceVersion || len(gw.Annotations) != 0 {
			t.Fatalf("the gateway VirtualService changed: %v %v", &gw.Spec, gw.Annotations)
		}
	})
	want := "ingress VirtualService istio-system/public-web routes to web without weights: its traffic reaches the canary by pod count " +
		"(meshcanary may not patch VirtualServices in namespace istio-system: the operator allows ns)"
	if diff := cmp.Diff([]string{want}, st.Unsplit); diff != "" {
		t.Errorf("the status's unsplit VirtualServices (-want +got):\n%s", diff)
	}
	if st.VirtualServices != nil {
		t.Errorf("the status lists split VirtualServices %v; only the home one is split", st.VirtualServices)
	}
	warnings := 0
	for len(f.recorder.Events) > 0 {
		if e := <-f.recorder.Events; strings.Contains(e, stepper.ReasonRoutesNotSplit) && strings.Contains(e, "istio-system/public-web") {
			warnings++
		}
	}
	if warnings != 1 {
		t.Errorf("%d Warning Events name the gateway VirtualService, want 1", warnings)
	}
	// The log line has a fixed message; the reason and the Event's
	// message are fields.
	lines := logs.FilterField(zap.String("reason", stepper.ReasonRoutesNotSplit)).FilterField(zap.String("message", want)).All()
	if len(lines) != 1 || lines[0].Message != "event recorded" {
		t.Errorf("log lines with reason %s and the message as fields: %v, want one \"event recorded\"", stepper.ReasonRoutesNotSplit, lines)
	}
}

func TestACrashBetweenVirtualServiceWritesIsCompletedByTheNextReconcile(t *testing.T) {
	f := releasingWithGateway(t, map[string]string{config.Prefix + config.KeySteps: "20,60"})
	fail := false
	f.failGatewayWrites(&fail)
	for i := 0; i < 20; i++ {
		if user := f.deployment("web"); *user.Spec.Replicas > 0 && user.Status.AvailableReplicas == 0 {
			f.markAvailable("web")
		}
		fail = true
		f.refresh()
		_, err := f.c.reconcile(context.Background(), "ns/web")
		fail = false
		st := f.status()
		_, home := istio.ObserveRouting(f.virtualService(), webTarget)
		_, gw := istio.ObserveRouting(f.gatewayVirtualService(), webTarget)
		if err == nil || home == gw {
			f.clock.Step(time.Second)
			continue
		}
		if st.Step != 1 || home != 20 || gw != 0 {
			t.Fatalf("after the failed write: step %d, home weight %d, gateway weight %d; want step 1, 20 and 0", st.Step, home, gw)
		}
		f.restart() // the controller died at the failed write
		f.reconcile()
		if _, gw := istio.ObserveRouting(f.gatewayVirtualService(), webTarget); gw != 20 {
			t.Fatalf("the next reconcile left the gateway VirtualService at weight %d, want 20", gw)
		}
		if got := f.status(); got.Step != 1 {
			t.Fatalf("the next reconcile moved to step %d before the gateway carried step 1", got.Step)
		}
		return
	}
	t.Fatal("no write of the gateway VirtualService failed")
}

func TestADelegateChildIsSplitAndItsRootInAnotherNamespaceLeftAlone(t *testing.T) {
	child := routeTo("ns", "web-child", nil, "web")
	root := &networkingv1.VirtualService{ObjectMeta: metav1.ObjectMeta{Namespace: "gateways", Name: "root", ResourceVersion: "3"}}
	root.Spec.Hosts = []string{"shop.example.com"}
	root.Spec.Gateways = []string{"gateways/public"}
	root.Spec.Http = []*apinetworkingv1.HTTPRoute{{Delegate: &apinetworkingv1.Delegate{Name: "web-child", Namespace: "ns"}}}
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{config.Prefix + config.KeySteps: "30"})}, child, root.DeepCopy())
	f.adopt()
	f.setImage("web:v2", "h2")
	st := f.release(func(st stepper.Status) {
		f.refresh()
		live, err := f.istio.NetworkingV1().VirtualServices("ns").Get(context.Background(), "web-child", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_, home := istio.ObserveRouting(f.virtualService(), webTarget)
		if routed, w := istio.ObserveRouting(live, webTarget); !routed || w != home {
			t.Fatalf("phase %s step %d: the delegate child routes %v with weight %d, the home one %d", st.Phase, st.Step, routed, w, home)
		}
		gotRoot, _ := f.istio.NetworkingV1().VirtualServices("gateways").Get(context.Background(), "root", metav1.GetOptions{})
		if !proto.Equal(&root.Spec, &gotRoot.Spec) || gotRoot.ResourceVersion != root.ResourceVersion {
			t.Fatalf("the root VirtualService changed: %v", &gotRoot.Spec)
		}
		if st.Phase == stepper.PhaseProgressing && st.Step == 1 && !cmp.Equal(st.VirtualServices, []stepper.SplitVirtualService{
			{Ref: "ns/web", Kind: "home", Weight: 30}, {Ref: "ns/web-child", Kind: "delegate", Weight: 30}}) {
			t.Errorf("the status's VirtualServices at step 1: %v", st.VirtualServices)
		}
	})
	if st.Phase != stepper.PhaseSucceeded {
		t.Fatalf("phase %s (%s)", st.Phase, st.Message)
	}
}

func TestOptingOutRestoresTheGatewayVirtualServiceAsTheUserWroteIt(t *testing.T) {
	original := publicWeb()
	f := newFixture(t, []runtime.Object{webService(), webDeployment(map[string]string{config.Prefix + config.KeySteps: "50"})}, original.DeepCopy())
	f.c.allowed = []string{"istio-system"}
	f.adopt()
	if got := f.gatewayVirtualService().Annotations[config.RoutesForAnnotation]; got != "ns/web" {
		t.Fatalf("after adoption the gateway VirtualService is marked %q, want ns/web", got)
	}
	f.optOut()
	for i := 0; i < 20 && f.gatewayVirtualService().Annotations[config.RoutesForAnnotation] != ""; i++ {
		f.reconcile()
		f.markAvailable("web")
	}
	gw := f.gatewayVirtualService()
	if !proto.Equal(&original.Spec, &gw.Spec) || len(gw.Annotations) != 0 {
		t.Errorf("after the opt-out the gateway VirtualService is %v %v, want the user's %v", &gw.Spec, gw.Annotations, &original.Spec)
	}
}
