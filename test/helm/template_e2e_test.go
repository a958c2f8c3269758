//go:build e2e

package helm

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// valueSets are the values files the chart is rendered, linted and dry-run
// applied with; "defaults" has none.
var valueSets = map[string][]string{
	"defaults":                                      nil,
	"namespaced to team-a and team-b":               {"watch-namespaces.yaml"},
	"with ServiceMonitor, PDB, folder":              {"monitoring.yaml"},
	"with Prometheus auth, webhooks, notifications": {"prometheus.yaml"},
	"one replica without election":                  {"single.yaml"},
}

func TestHelmLint(t *testing.T) {
	for name, files := range valueSets {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"lint", "--strict", chartDir(t), "--namespace", releaseNamespace}, valueArgs(files)...)
			if out, stderr, err := helm(t, args...); err != nil {
				t.Errorf("helm lint: %v\n%s%s", err, out, stderr)
			}
		})
	}
}

// controllerRules are the permissions of the controller in a watched
// namespace: exactly the calls it makes.
var controllerRules = []rbacv1.PolicyRule{
	{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"get", "list", "watch", "create", "update", "delete"}},
	{APIGroups: []string{"apps"}, Resources: []string{"replicasets"}, Verbs: []string{"list"}},
	{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"list", "watch"}},
	{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: []string{"list", "watch"}},
	{APIGroups: []string{"autoscaling"}, Resources: []string{"horizontalpodautoscalers"}, Verbs: []string{"get", "list", "watch", "create", "update", "delete"}},
	{APIGroups: []string{"networking.istio.io"}, Resources: []string{"virtualservices", "destinationrules"}, Verbs: []string{"get", "list", "watch", "create", "update", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}},
}

// leaseRules let the controller elect a leader on the Lease named after the release.
var leaseRules = []rbacv1.PolicyRule{
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"create"}},
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, ResourceNames: []string{releaseName}, Verbs: []string{"get", "update"}},
}

func TestHelmTemplate(t *testing.T) {
	tests := map[string]struct {
		files []string
		check func(t *testing.T, objs []*unstructured.Unstructured)
	}{
		"defaults: two replicas electing a leader, cluster-wide RBAC, hardened pods, dashboard": {nil, func(t *testing.T, objs []*unstructured.Unstructured) {
			d := controller(t, objs)
			if *d.Spec.Replicas != 2 {
				t.Errorf("replicas %d, want 2", *d.Spec.Replicas)
			}
			wantArgs(t, d, "--leader-elect=true", "--leader-election-namespace="+releaseNamespace, "--leader-election-id="+releaseName, "--log-level=info",
				"--leader-election-lease-duration=15s", "--leader-election-renew-deadline=10s", "--leader-election-retry-period=2s",
				"--workers=32", "--gate-deadline=2s", "--kube-api-qps=-1", "--kube-api-burst=200", "--kube-api-content-type=application/vnd.kubernetes.protobuf", "--event-qps=20", "--event-burst=50")
			noArgs(t, d, "--namespaces", "--prometheus-url", "--prometheus-bearer-token-file", "--gate-webhook-allow")
			hardened(t, d)
			wantRules(t, only(t, objs, "ClusterRole"), controllerRules)
			checkLeaseRole(t, objs)
			if len(find(objs, "ServiceMonitor"))+len(find(objs, "PodDisruptionBudget")) > 0 {
				t.Error("ServiceMonitor or PodDisruptionBudget rendered without being asked for")
			}
			checkDashboard(t, objs, releaseNamespace)
			checkMetricsService(t, objs)
		}},
		"watchNamespaces: a Role and RoleBinding per namespace and no ClusterRole": {[]string{"watch-namespaces.yaml"}, func(t *testing.T, objs []*unstructured.Unstructured) {
			wantArgs(t, controller(t, objs), "--namespaces=team-a,team-b")
			if n := len(find(objs, "ClusterRole")) + len(find(objs, "ClusterRoleBinding")); n > 0 {
				t.Errorf("%d cluster-wide RBAC objects", n)
			}
			var roleNamespaces []string
			for _, role := range find(objs, "Role") {
				if role.GetName() == releaseName {
					roleNamespaces = append(roleNamespaces, role.GetNamespace())
					wantRules(t, role, controllerRules)
				}
			}
			if !slices.Equal(roleNamespaces, []string{"team-a", "team-b"}) {
				t.Errorf("controller Roles in %v, want team-a and team-b", roleNamespaces)
			}
			if n := len(find(objs, "RoleBinding")); n != 3 {
				t.Errorf("%d RoleBindings, want 3 (team-a, team-b, leader election)", n)
			}
		}},
		"virtualServiceNamespaces: the flag, and a VirtualServices-only Role where the controller does not watch": {[]string{"virtualservice-namespaces.yaml"}, func(t *testing.T, objs []*unstructured.Unstructured) {
			wantArgs(t, controller(t, objs), "--namespaces=team-a", "--virtualservice-namespaces=istio-system,team-a")
			var vsRoles []string
			for _, role := range find(objs, "Role") {
				if role.GetName() == releaseName+"-virtualservices" {
					vsRoles = append(vsRoles, role.GetNamespace())
					wantRules(t, role, []rbacv1.PolicyRule{{APIGroups: []string{"networking.istio.io"},
						Resources: []string{"virtualservices"}, Verbs: []string{"get", "list", "watch", "update"}}})
				}
			}
			if !slices.Equal(vsRoles, []string{"istio-system"}) {
				t.Errorf("VirtualService Roles in %v, want istio-system only (team-a's Role covers it)", vsRoles)
			}
			if n := len(find(objs, "ClusterRole")); n > 0 {
				t.Errorf("%d ClusterRoles", n)
			}
		}},
		"serviceMonitor and podDisruptionBudget when enabled": {[]string{"monitoring.yaml"}, func(t *testing.T, objs []*unstructured.Unstructured) {
			sm := only(t, objs, "ServiceMonitor")
			if sm.GetLabels()["release"] != "kube-prometheus-stack" {
				t.Errorf("ServiceMonitor labels %v", sm.GetLabels())
			}
			only(t, objs, "PodDisruptionBudget")
			if got := only(t, objs, "ConfigMap").GetAnnotations()["grafana_folder"]; got != "Delivery" {
				t.Errorf("dashboard folder annotation %q", got)
			}
		}},
		"prometheus and notifications: Secrets are mounted by the kubelet, never read through the API": {[]string{"prometheus.yaml"}, func(t *testing.T, objs []*unstructured.Unstructured) {
			d := controller(t, objs)
			wantArgs(t, d, "--prometheus-url=http://prometheus-operated.monitoring:9090",
				"--prometheus-bearer-token-file=/var/run/secrets/meshcanary/prometheus/token",
				"--notify-receiver=team-slack=slack,url-file=/var/run/secrets/meshcanary/notify/team-slack/url",
				"--gate-webhook-allow=https://approvals.example.com/", "--log-level=debug")
			var secrets []string
			for _, v := range d.Spec.Template.Spec.Volumes {
				if v.Secret != nil {
					secrets = append(secrets, v.Secret.SecretName)
				}
			}
			if !slices.Equal(secrets, []string{"prometheus-token", "meshcanary-slack"}) {
				t.Errorf("Secret volumes %v, want prometheus-token and meshcanary-slack", secrets)
			}
			for _, m := range d.Spec.Template.Spec.Containers[0].VolumeMounts {
				if !m.ReadOnly {
					t.Errorf("mount %s is writable", m.Name)
				}
			}
			wantRules(t, only(t, objs, "ClusterRole"), controllerRules)
		}},
		"leader election off: no Lease permissions": {[]string{"single.yaml"}, func(t *testing.T, objs []*unstructured.Unstructured) {
			wantArgs(t, controller(t, objs), "--leader-elect=false")
			if n := len(find(objs, "Role")) + len(find(objs, "ConfigMap")); n > 0 {
				t.Errorf("%d Roles or ConfigMaps", n)
			}
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) { tc.check(t, render(t, releaseName, tc.files...)) })
	}
}

func controller(t *testing.T, objs []*unstructured.Unstructured) *appsv1.Deployment {
	t.Helper()
	return typed[appsv1.Deployment](t, only(t, objs, "Deployment"))
}

func wantArgs(t *testing.T, d *appsv1.Deployment, want ...string) {
	t.Helper()
	args := d.Spec.Template.Spec.Containers[0].Args
	for _, w := range want {
		if !slices.Contains(args, w) {
			t.Errorf("args %v lack %s", args, w)
		}
	}
}

func noArgs(t *testing.T, d *appsv1.Deployment, flags ...string) {
	t.Helper()
	for _, arg := range d.Spec.Template.Spec.Containers[0].Args {
		for _, f := range flags {
			if strings.HasPrefix(arg, f+"=") {
				t.Errorf("unexpected %s", arg)
			}
		}
	}
}

// hardened checks the pod runs as non-root with a read-only root file
// system, no capabilities and the runtime's seccomp profile.
func hardened(t *testing.T, d *appsv1.Deployment) {
	t.Helper()
	pod := d.Spec.Template.Spec
	c := pod.Containers[0].SecurityContext
	ok := pod.SecurityContext != nil && *pod.SecurityContext.RunAsNonRoot &&
		pod.SecurityContext.SeccompProfile.Type == corev1.SeccompProfileTypeRuntimeDefault &&
		c != nil && *c.RunAsNonRoot && *c.ReadOnlyRootFilesystem && !*c.AllowPrivilegeEscalation &&
		slices.Equal(c.Capabilities.Drop, []corev1.Capability{"ALL"}) && len(c.Capabilities.Add) == 0
	if !ok {
		t.Errorf("pod security context %+v, container %+v", pod.SecurityContext, c)
	}
	if r := pod.Containers[0].Resources; r.Requests.Cpu().IsZero() || r.Limits.Memory().IsZero() {
		t.Errorf("resources %+v", r)
	}
}

// wantRules checks a (Cluster)Role grants exactly want: no Secrets, no
// wildcard, nothing the controller does not use.
func wantRules(t *testing.T, role *unstructured.Unstructured, want []rbacv1.PolicyRule) {
	t.Helper()
	got := typed[rbacv1.ClusterRole](t, role).Rules
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s %s rules (-want +got):\n%s", role.GetKind(), role.GetName(), diff)
	}
}

func checkLeaseRole(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	role := only(t, objs, "Role")
	if role.GetNamespace() != releaseNamespace {
		t.Errorf("leader election Role in %s", role.GetNamespace())
	}
	wantRules(t, role, leaseRules)
}

func checkDashboard(t *testing.T, objs []*unstructured.Unstructured, ns string) {
	t.Helper()
	cm := typed[corev1.ConfigMap](t, only(t, objs, "ConfigMap"))
	if cm.Labels["grafana_dashboard"] != "1" || cm.Namespace != ns || !strings.Contains(cm.Data["meshcanary.json"], `"uid": "meshcanary"`) {
		t.Errorf("dashboard ConfigMap %s/%s labels %v, %d bytes", cm.Namespace, cm.Name, cm.Labels, len(cm.Data["meshcanary.json"]))
	}
}

func checkMetricsService(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	svc := typed[corev1.Service](t, only(t, objs, "Service"))
	d := controller(t, objs)
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].TargetPort.StrVal != "metrics" || d.Spec.Template.Spec.Containers[0].Ports[0].Name != "metrics" {
		t.Errorf("metrics Service ports %+v", svc.Spec.Ports)
	}
	for k, v := range svc.Spec.Selector {
		if d.Spec.Template.Labels[k] != v {
			t.Errorf("Service selector %v does not select the pods %v", svc.Spec.Selector, d.Spec.Template.Labels)
		}
	}
}

func TestSchemaRejectsWrongTypes(t *testing.T) {
	tests := map[string]struct {
		set  string // a --set-json argument
		want string // a part of helm's error
	}{
		"replicaCount as a string":                     {`replicaCount="two"`, "replicaCount"},
		"watchNamespaces as a string":                  {`watchNamespaces="team-a"`, "watchNamespaces"},
		"an unknown log level":                         {`logLevel="verbose"`, "logLevel"},
		"prometheus.url as a number":                   {`prometheus={"url":9090}`, "url"},
		"leader election as a string":                  {`leaderElection={"enabled":"yes"}`, "enabled"},
		"a lease duration that is no duration":         {`leaderElection={"leaseDuration":"15"}`, "leaseDuration"},
		"a client budget of 0 requests/s":              {`kubeAPI={"qps":0}`, "qps"},
		"a content type the API server does not speak": {`kubeAPI={"contentType":"application/yaml"}`, "contentType"},
		"a webhook prefix that is no URL":              {`gateWebhookAllow=["approvals"]`, "gateWebhookAllow"},
		"a misspelt top-level key":                     {`replicas=3`, "replicas"},
		"a notification of unknown kind":               {`notifications=[{"name":"a","kind":"email","urlSecret":{"name":"s","key":"k"}}]`, "kind"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, err := helm(t, "template", releaseName, chartDir(t), "--set-json", tc.set)
			if err == nil {
				t.Fatalf("helm template accepted %s", tc.set)
			}
			if !strings.Contains(stderr, "schema") || !strings.Contains(stderr, tc.want) {
				t.Errorf("helm's error does not name the schema and %s:\n%s", tc.want, stderr)
			}
		})
	}
}
