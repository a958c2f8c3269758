//go:build e2e

package meshsim_test

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/meshsim"
)

// TestSimOnARealControlPlane runs the simulator against a local API server
// with Deployments the real controllers roll out: a primary with two pods
// and a canary with one failing pod, split 900/100 by a VirtualService.
func TestSimOnARealControlPlane(t *testing.T) {
	c := cluster.StartForTest(t, cluster.Options{})
	cfg := c.AdminConfig()
	kube := kubernetes.NewForConfigOrDie(cfg)
	istio := istioclient.NewForConfigOrDie(cfg)
	ctx := t.Context()
	const ns = "meshsim-e2e"
	create := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("creating %s: %v", what, err)
		}
	}
	_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	create("namespace", err)
	_, err = kube.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "podinfo"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 9898}},
		},
	}, metav1.CreateOptions{})
	create("service", err)
	_, err = kube.AppsV1().Deployments(ns).Create(ctx, deployment("podinfo-primary", 2, map[string]string{"meshcanary.io/role": "primary"}, nil), metav1.CreateOptions{})
	create("primary", err)
	_, err = kube.AppsV1().Deployments(ns).Create(ctx, deployment("podinfo", 1, nil, map[string]string{meshsim.ErrorRateAnnotation: "0.5"}), metav1.CreateOptions{})
	create("canary", err)
	canaryHash := waitReadyPods(t, kube, ns, 3)

	_, err = istio.NetworkingV1().DestinationRules(ns).Create(ctx, &networkingv1.DestinationRule{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo"},
		Spec: v1alpha3.DestinationRule{Host: "podinfo", Subsets: []*v1alpha3.Subset{
			{Name: "primary", Labels: map[string]string{"meshcanary.io/role": "primary"}},
			{Name: "canary", Labels: map[string]string{"pod-template-hash": canaryHash}},
		}},
	}, metav1.CreateOptions{})
	create("destination rule", err)
	_, err = istio.NetworkingV1().VirtualServices(ns).Create(ctx, &networkingv1.VirtualService{
		ObjectMeta: metav1.ObjectMeta{Name: "podinfo"},
		Spec: v1alpha3.VirtualService{Hosts: []string{"podinfo"}, Http: []*v1alpha3.HTTPRoute{{Route: []*v1alpha3.HTTPRouteDestination{
			{Destination: &v1alpha3.Destination{Host: "podinfo", Subset: "primary"}, Weight: 900},
			{Destination: &v1alpha3.Destination{Host: "podinfo", Subset: "canary"}, Weight: 100},
		}}}},
	}, metav1.CreateOptions{})
	create("virtual service", err)

	sim, err := meshsim.New(cfg, meshsim.Options{Namespaces: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()

	const n = 10_000
	for range n {
		sim.Send(meshsim.Request{Service: meshsim.ServiceRef{Namespace: ns, Name: "podinfo"}})
	}
	got := sim.Counts(ns, "podinfo")
	t.Logf("counts: %+v", got)
	if got.Workloads["podinfo"]+got.Workloads["podinfo-primary"] != n {
		t.Fatalf("workloads %v, want every request answered by podinfo or podinfo-primary", got.Workloads)
	}
	if err := binomial(got.Workloads["podinfo"], n, 0.1); err != nil {
		t.Errorf("canary share: %v", err)
	}
	if err := binomial(got.Codes[500], got.Workloads["podinfo"], 0.5); err != nil {
		t.Errorf("canary errors: %v", err)
	}

	resp, err := http.Get("http://" + sim.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`destination_workload="podinfo-primary"`,
		`response_code="500"`,
		`container_memory_working_set_bytes{container="podinfo",namespace="meshsim-e2e",pod="podinfo-` + canaryHash,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Scaled to zero, the canary's share turns into 503 UH.
	scale, err := kube.AppsV1().Deployments(ns).GetScale(ctx, "podinfo", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	scale.Spec.Replicas = 0
	if _, err := kube.AppsV1().Deployments(ns).UpdateScale(ctx, "podinfo", scale, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := sim.Counts(ns, "podinfo")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		for range 100 {
			sim.Send(meshsim.Request{Service: meshsim.ServiceRef{Namespace: ns, Name: "podinfo"}})
		}
		if sim.Counts(ns, "podinfo").Sub(before).Flags[meshsim.FlagNoHealthyUpstream] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no 503 UH a minute after the canary was scaled to zero")
		}
	}
}

func deployment(name string, replicas int32, labels, annotations map[string]string) *appsv1.Deployment {
	podLabels := map[string]string{"app": "podinfo", "deployment": name}
	for k, v := range labels {
		podLabels[k] = v
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"deployment": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: annotations},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "podinfo", Image: "example.com/podinfo:1"}}},
			},
		},
	}
}

// waitReadyPods waits for want Ready pods and returns the canary's
// pod-template-hash.
func waitReadyPods(t *testing.T, kube kubernetes.Interface, ns string, want int) string {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		pods, err := kube.CoreV1().Pods(ns).List(t.Context(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ready, hash := 0, ""
		for i := range pods.Items {
			p := &pods.Items[i]
			if meshsim.Ready(p) {
				ready++
			}
			if p.Labels["deployment"] == "podinfo" {
				hash = p.Labels["pod-template-hash"]
			}
		}
		if ready == want && hash != "" {
			return hash
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d pods Ready after two minutes", ready, want)
		}
	}
}

// binomial checks that got of n draws at probability p is within five
// standard deviations of n·p.
func binomial(got, n int64, p float64) error {
	mean, sigma := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
	if math.Abs(float64(got)-mean) > 5*sigma {
		return fmt.Errorf("%d of %d, want %.0f ± %.0f", got, n, mean, 5*sigma)
	}
	return nil
}
