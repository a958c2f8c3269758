//go:build e2e

package xds

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/test/cluster"
	"github.com/meshcanary/meshcanary/test/testapp"
)

// roleLabel is the label meshcanary's DestinationRule subsets select on.
const roleLabel = "meshcanary.io/role"

// mesh is a started cluster with istiod and one namespace holding the
// Service web (port 80 → 8080) and a client pod the xDS client stands in for.
type mesh struct {
	c      *cluster.Cluster
	client kubernetes.Interface
	dyn    dynamic.Interface
	ns     string
	proxy  Proxy
}

func startMesh(t testing.TB) *mesh {
	t.Helper()
	c := cluster.StartForTest(t, cluster.Options{Istiod: true})
	m := &mesh{
		c:      c,
		client: kubernetes.NewForConfigOrDie(c.AdminConfig()),
		dyn:    dynamic.NewForConfigOrDie(c.AdminConfig()),
	}
	m.ns = cluster.CreateNamespace(t, m.client, "xds-")
	if _, err := m.client.CoreV1().Services(m.ns).Create(t.Context(), testapp.Service(m.ns), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := m.createPod(t, "client", map[string]string{"app": "client"})
	ready := m.waitReady(t, pod)
	m.proxy = Proxy{Pod: ready.Name, Namespace: m.ns, IP: ready.Status.PodIP, Labels: ready.Labels}
	return m
}

// host is the Service's FQDN.
func (m *mesh) host() string { return "web." + m.ns + ".svc." + DomainSuffix }

// subsetCluster is the name istiod gives the outbound cluster of a subset of web:80.
func (m *mesh) subsetCluster(subset string) string {
	return "outbound|80|" + subset + "|" + m.host()
}

// dial connects an xDS client as the client pod's sidecar, closed at cleanup.
func (m *mesh) dial(t testing.TB) *Client {
	t.Helper()
	x, err := Dial(t.Context(), m.c.IstiodXDSAddress, m.proxy)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Close)
	return x
}

// createPod creates a pod of one container on a kwok node; kwok makes it Ready.
func (m *mesh) createPod(t testing.TB, name string, labels map[string]string) *corev1.Pod {
	t.Helper()
	pod, err := m.client.CoreV1().Pods(m.ns).Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/app:v1",
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return pod
}

// waitReady waits until pod is Ready with an IP and returns it.
func (m *mesh) waitReady(t testing.TB, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	var ready *corev1.Pod
	cluster.Eventually(t, time.Minute, "pod "+pod.Name+" Ready with an IP", func(ctx context.Context) error {
		got, err := m.client.CoreV1().Pods(m.ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got.Status.PodIP == "" || !podReady(got) {
			return fmt.Errorf("IP %q, conditions %v", got.Status.PodIP, got.Status.Conditions)
		}
		ready = got
		return nil
	})
	return ready
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// endpoints returns the sorted "IP:8080" addresses of pods.
func endpoints(pods ...*corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Status.PodIP+":8080")
	}
	slices.Sort(out)
	return out
}

// applyDestinationRule writes web's DestinationRule with the primary and canary
// subsets, as meshcanary writes it.
func (m *mesh) applyDestinationRule(t testing.TB) {
	t.Helper()
	subset := func(name string) map[string]any {
		return map[string]any{"name": name, "labels": map[string]any{roleLabel: name}}
	}
	m.apply(t, cluster.DestinationRules, "DestinationRule", map[string]any{
		"host": "web", "subsets": []any{subset("primary"), subset("canary")},
	})
}

// applyVirtualService writes web's VirtualService routing primary and canary
// with the given weights.
func (m *mesh) applyVirtualService(t testing.TB, primary, canary int64) {
	t.Helper()
	route := func(subset string, weight int64) map[string]any {
		return map[string]any{"destination": map[string]any{"host": "web", "subset": subset}, "weight": weight}
	}
	m.apply(t, cluster.VirtualServices, "VirtualService", map[string]any{
		"hosts": []any{"web"},
		"http":  []any{map[string]any{"route": []any{route("primary", primary), route("canary", canary)}}},
	})
}

// apply server-side applies the object web of kind in the test namespace.
func (m *mesh) apply(t testing.TB, gvr schema.GroupVersionResource, kind string, spec map[string]any) {
	t.Helper()
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1", "kind": kind,
		"metadata": map[string]any{"name": "web", "namespace": m.ns},
		"spec":     spec,
	}}
	data, err := obj.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	force := true
	if _, err := m.dyn.Resource(gvr).Namespace(m.ns).Patch(t.Context(), "web", types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: "xds-e2e", Force: &force}); err != nil {
		t.Fatalf("apply %s: %v", kind, err)
	}
}

// podName numbers pods of a role.
func podName(role string, i int) string { return fmt.Sprintf("web-%s-%d", role, i) }

// createWeb creates the user's Deployment web, enabled for meshcanary with
// annotations: 2 replicas of registry.example/web:v1 serving http on 8080,
// its pods labelled app: web.
func (m *mesh) createWeb(t *testing.T, annotations map[string]string) {
	t.Helper()
	labels := map[string]string{"app": "web"}
	if _, err := m.client.AppsV1().Deployments(m.ns).Create(t.Context(), &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web", Labels: map[string]string{"app": "web", config.EnabledLabel: config.EnabledValue},
			Annotations: annotations,
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "web", Image: "registry.example/web:v1",
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				}}},
			},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// setImage releases image in the user's Deployment web.
func (m *mesh) setImage(t *testing.T, image string) {
	t.Helper()
	if err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := m.client.AppsV1().Deployments(m.ns).Get(t.Context(), "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Template.Spec.Containers[0].Image = image
		_, err = m.client.AppsV1().Deployments(m.ns).Update(t.Context(), d, metav1.UpdateOptions{})
		return err
	}); err != nil {
		t.Fatalf("release %s: %v", image, err)
	}
}

// waitHealthy waits, for at most timeout, until the healthy endpoints of
// cluster pushed to x satisfy ok (none received yet counts as none), and
// returns that snapshot; else it fails the test, naming what it waited for
// (want) and the endpoints it had last.
func waitHealthy(t testing.TB, x *Client, timeout time.Duration, cluster, want string, ok func(got []string) bool) *Snapshot {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	var got []string
	snap, err := x.Wait(ctx, func(s *Snapshot) bool {
		got, _ = s.HealthyEndpoints(cluster)
		return ok(got)
	})
	if err != nil {
		t.Fatalf("waiting for %s of %s: %v; have %v", want, cluster, err, got)
	}
	return snap
}
