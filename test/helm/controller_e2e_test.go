//go:build e2e

package helm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
	"github.com/meshcanary/meshcanary/test/cluster"
)

// checkControllerAsServiceAccount runs bin/meshcanary controller with the
// arguments the chart renders, authenticated as the chart's ServiceAccount,
// and proves that the chart's RBAC is enough: it elects itself leader,
// adopts a Deployment, releases a new revision to Succeeded and records
// Events; the CLI shows and commands it; promtool finds its /metrics clean.
func checkControllerAsServiceAccount(t *testing.T, c *cluster.Cluster, k *kube) {
	addr := runController(t, c)
	cluster.Eventually(t, time.Minute, "the controller to lead", func(ctx context.Context) error {
		lease, err := k.client.CoordinationV1().Leases(releaseNamespace).Get(ctx, releaseName, metav1.GetOptions{})
		if err == nil && ptr.Deref(lease.Spec.HolderIdentity, "") == "" {
			return errors.New("no holder")
		}
		return err
	})

	const ns = "shop"
	cluster.CreateNamespace(t, k.client, ns)
	createApp(t, k, ns)
	waitPhase(t, k, ns, "reviews", 2*time.Minute, func(s stepper.Status) bool { return s.Phase == stepper.PhaseReady })
	for _, resource := range []string{"virtualservices", "destinationrules"} {
		gvr := schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: resource}
		if _, err := k.dynamic.Resource(gvr).Namespace(ns).Get(context.Background(), "reviews", metav1.GetOptions{}); err != nil {
			t.Errorf("%s shop/reviews: %v", resource, err)
		}
	}

	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := k.client.AppsV1().Deployments(ns).Get(context.Background(), "reviews", metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Spec.Template.Spec.Containers[0].Image = "example.com/reviews:v2"
		_, err = k.client.AppsV1().Deployments(ns).Update(context.Background(), d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("a new image: %v", err)
	}
	waitPhase(t, k, ns, "reviews", 3*time.Minute, func(s stepper.Status) bool {
		return s.Phase == stepper.PhaseSucceeded && s.Revision == s.StableRevision
	})
	events, err := k.client.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "source=meshcanary"})
	if err != nil || len(events.Items) == 0 {
		t.Errorf("no Events from the controller (%v)", err)
	}

	t.Run("the CLI shows and commands the canary", func(t *testing.T) { checkCLI(t, c, ns) })
	t.Run("promtool finds the controller's metrics clean", func(t *testing.T) { checkMetrics(t, addr) })
}

// runController starts bin/meshcanary with the chart's default arguments
// but the metrics address and the log format (console, for people):
// cluster.StartMeshcanary's come first, the chart's override them. It runs as
// the chart's ServiceAccount, serving metrics on a free loopback port it
// returns. The process is stopped when the test ends; its log,
// meshcanary-controller.log, is in the cluster's run folder.
func runController(t *testing.T, c *cluster.Cluster) string {
	t.Helper()
	var args []string
	for _, arg := range controller(t, render(t, releaseName)).Spec.Template.Spec.Containers[0].Args {
		if arg != "controller" && !strings.HasPrefix(arg, "--metrics-bind-address=") && !strings.HasPrefix(arg, "--log-format=") {
			args = append(args, arg)
		}
	}
	ctrl, err := c.StartMeshcanary(cluster.MeshcanaryOptions{
		Name:       "meshcanary-controller",
		Kubeconfig: serviceAccountKubeconfig(t, c),
		Args:       args,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("controller: log %s", ctrl.LogPath)
	t.Cleanup(func() {
		ctrl.Stop()
		if t.Failed() {
			t.Logf("=== last lines of the controller's log:\n%s", ctrl.LogLines(60))
		}
	})
	return ctrl.MetricsAddr
}

// serviceAccountKubeconfig writes a kubeconfig authenticated as the chart's
// ServiceAccount.
func serviceAccountKubeconfig(t *testing.T, c *cluster.Cluster) string {
	t.Helper()
	cfg, err := c.ServiceAccountConfig(context.Background(), releaseNamespace, releaseName)
	if err != nil {
		t.Fatal(err)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["meshcanary"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken}
	kc.Contexts["meshcanary"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "meshcanary"}
	kc.CurrentContext = "meshcanary"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// createApp creates the Service and the opted-in Deployment reviews: two
// steps of 1s, no gates.
func createApp(t *testing.T, k *kube, ns string) {
	t.Helper()
	labels := map[string]string{"app": "reviews"}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "reviews"},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{
			Name: "http", Port: 9080, TargetPort: intstr.FromInt32(9080),
		}}},
	}
	if _, err := k.client.CoreV1().Services(ns).Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Name:        "reviews",
			Labels:      map[string]string{config.EnabledLabel: config.EnabledValue},
			Annotations: map[string]string{config.Prefix + config.KeySteps: "20,60", config.Prefix + config.KeyStepInterval: "1s"},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "reviews", Image: "example.com/reviews:v1"}}},
			},
		},
	}
	if _, err := k.client.AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitPhase waits until the status of ns/name satisfies done.
func waitPhase(t *testing.T, k *kube, ns, name string, timeout time.Duration, done func(stepper.Status) bool) {
	t.Helper()
	cluster.Eventually(t, timeout, "the status of "+ns+"/"+name, func(ctx context.Context) error {
		s, ok, err := cluster.StatusOf(ctx, k.client, k.istio, ns, name)
		if err != nil {
			return err
		}
		if !ok || !done(s) {
			return fmt.Errorf("last status %+v (found %v)", s, ok)
		}
		return nil
	})
}

// meshcanary runs the CLI as cluster-admin and returns its combined output.
func meshcanary(t *testing.T, c *cluster.Cluster, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin(t, "meshcanary"), append(args, "--kubeconfig", c.Kubeconfig)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func checkCLI(t *testing.T, c *cluster.Cluster, ns string) {
	out, err := meshcanary(t, c, "status", "-n", ns)
	if err != nil || !strings.Contains(out, "reviews") || !strings.Contains(out, string(stepper.PhaseSucceeded)) {
		t.Errorf("status: %v\n%s", err, out)
	}
	for _, verb := range []string{stepper.VerbPause, stepper.VerbResume} {
		out, err := meshcanary(t, c, verb, "reviews", "-n", ns, "--timeout", "60s")
		if err != nil || !strings.Contains(out, verb+" acknowledged") {
			t.Errorf("%s: %v\n%s", verb, err, out)
		}
	}
	out, err = meshcanary(t, c, "promote", "reviews", "-n", ns, "--timeout", "60s")
	if err == nil || !strings.Contains(out, "promote applies while Progressing") {
		t.Errorf("promote while Succeeded: want the controller's refusal, got %v\n%s", err, out)
	}
}

func checkMetrics(t *testing.T, addr string) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, series := range []string{
		`meshcanary_canary_phase{deployment="reviews",namespace="shop",phase="Succeeded"} 1`,
		`meshcanary_releases_total{namespace="shop",result="succeeded"} 1`,
		`workqueue_depth{name="canaries"}`,
	} {
		if !bytes.Contains(body, []byte(series)) {
			name, _, _ := strings.Cut(series, "{")
			t.Errorf("/metrics lacks %s; it has:\n%s", series, grepLines(body, name))
		}
	}
	cmd := exec.Command(bin(t, "promtool"), "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// grepLines returns the lines of text that start with prefix.
func grepLines(text []byte, prefix string) string {
	var lines []string
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, prefix) {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}
