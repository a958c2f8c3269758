package meshsim

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// The fixtures model one canary release of Deployment "podinfo" in
// namespace "shop": primary pods of Deployment podinfo-primary and canary
// pods of Deployment podinfo with pod-template-hash "c4n4ry".
const (
	ns         = "shop"
	app        = "podinfo"
	canaryHash = "c4n4ry"
)

var podinfo = ServiceRef{Namespace: ns, Name: app}

// seeded returns a deterministic random source.
func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

func service(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 9898}},
		},
	}
}

// podBuilder builds a Ready pod of a Deployment's ReplicaSet.
type podBuilder struct{ pod *corev1.Pod }

func newPod(deployment, hash, suffix string) *podBuilder {
	return &podBuilder{pod: &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns,
			Name:      deployment + "-" + hash + "-" + suffix,
			Labels:    map[string]string{"app": app, "pod-template-hash": hash},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "apps/v1", Kind: "ReplicaSet", Name: deployment + "-" + hash, Controller: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: app, Image: "podinfo"}}},
		Status: corev1.PodStatus{
			Phase:      corev1.PodRunning,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
		},
	}}
}

func primaryPod(suffix string) *podBuilder {
	return newPod(app+"-primary", "pr1m", suffix).label("meshcanary.io/role", "primary")
}

func canaryPod(suffix string) *podBuilder { return newPod(app, canaryHash, suffix) }

func (b *podBuilder) label(k, v string) *podBuilder { b.pod.Labels[k] = v; return b }

func (b *podBuilder) annotate(k, v string) *podBuilder {
	if b.pod.Annotations == nil {
		b.pod.Annotations = map[string]string{}
	}
	b.pod.Annotations[k] = v
	return b
}

func (b *podBuilder) notReady() *podBuilder {
	b.pod.Status.Conditions[0].Status = corev1.ConditionFalse
	return b
}

func (b *podBuilder) terminating() *podBuilder {
	b.pod.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
	b.pod.Finalizers = []string{"test/keep"}
	return b
}

func (b *podBuilder) obj() *corev1.Pod { return b.pod }

// destinationRule has subsets primary and canary for podinfo.
func destinationRule() *networkingv1.DestinationRule {
	return &networkingv1.DestinationRule{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: app},
		Spec: v1alpha3.DestinationRule{
			Host: app,
			Subsets: []*v1alpha3.Subset{
				{Name: "primary", Labels: map[string]string{"meshcanary.io/role": "primary"}},
				{Name: "canary", Labels: map[string]string{"pod-template-hash": canaryHash}},
			},
		},
	}
}

func virtualService(name string, hosts []string, routes ...*v1alpha3.HTTPRoute) *networkingv1.VirtualService {
	return &networkingv1.VirtualService{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha3.VirtualService{Hosts: hosts, Http: routes},
	}
}

// weighted is a route over subsets of podinfo: weighted("primary", 995,
// "canary", 5).
func weighted(subsetWeights ...any) *v1alpha3.HTTPRoute {
	r := &v1alpha3.HTTPRoute{}
	for i := 0; i < len(subsetWeights); i += 2 {
		r.Route = append(r.Route, &v1alpha3.HTTPRouteDestination{
			Destination: &v1alpha3.Destination{Host: app, Subset: subsetWeights[i].(string)},
			Weight:      int32(subsetWeights[i+1].(int)),
		})
	}
	return r
}

func exact(s string) *v1alpha3.StringMatch {
	return &v1alpha3.StringMatch{MatchType: &v1alpha3.StringMatch_Exact{Exact: s}}
}

func prefix(s string) *v1alpha3.StringMatch {
	return &v1alpha3.StringMatch{MatchType: &v1alpha3.StringMatch_Prefix{Prefix: s}}
}

func regex(s string) *v1alpha3.StringMatch {
	return &v1alpha3.StringMatch{MatchType: &v1alpha3.StringMatch_Regex{Regex: s}}
}

// fakeClients splits objects between a Kubernetes and an Istio fake
// clientset.
func fakeClients(objs ...runtime.Object) (*kubefake.Clientset, *istiofake.Clientset) {
	var kube, istio []runtime.Object
	for _, o := range objs {
		switch o.(type) {
		case *networkingv1.VirtualService, *networkingv1.DestinationRule:
			istio = append(istio, o)
		default:
			kube = append(kube, o)
		}
	}
	return kubefake.NewClientset(kube...), istiofake.NewSimpleClientset(istio...)
}

// meshOf returns the informer-backed Mesh of objs, synced.
func meshOf(t testing.TB, objs ...runtime.Object) Mesh {
	t.Helper()
	kube, istio := fakeClients(objs...)
	w, err := newWatch(kube, istio, []string{ns}, cache.ResourceEventHandlerFuncs{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); w.stop() })
	if err := w.start(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}
