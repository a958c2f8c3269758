package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// IstiodNamespace is the namespace istiod runs as being in: it keeps its
// self-signed CA (secret istio-ca-secret) and its leader-election leases there.
const IstiodNamespace = "istio-system"

// istiodMeshConfig is the MeshConfig istiod starts with: Istio's defaults but
// for what the harness fixes.
const istiodMeshConfig = `# MeshConfig of the e2e istiod: Istio's defaults (trust domain cluster.local,
# root namespace istio-system) and no tracing, so nothing is sent anywhere.
enableTracing: false
rootNamespace: istio-system
trustDomain: cluster.local
`

// istiodEnv switches off what an out-of-cluster istiod would do against a
// cluster it does not own.
var istiodEnv = []string{
	"POD_NAMESPACE=" + IstiodNamespace,
	"POD_NAME=istiod-e2e",
	// No webhook configuration to patch: the harness registers istio-webhook
	// itself, and nothing injects sidecars.
	"VALIDATION_WEBHOOK_CONFIG_NAME=",
	"INJECTION_WEBHOOK_CONFIG_NAME=",
	"INJECT_ENABLED=false",
	// No cloud metadata server is asked for the platform.
	"CLOUD_PLATFORM=none",
}

// startIstiod starts pilot-discovery out of cluster against the local
// apiserver, with the cluster admin's kubeconfig and loopback ports only:
// plaintext xDS (what istio-agent's 15010 is), and one HTTP port for /ready,
// the debug endpoints and the webhooks it would serve. The secure xDS port is
// off, so no serving certificate is needed; istiod still makes its self-signed
// CA in [IstiodNamespace]. Start waits for its /ready in waitReady.
func (c *Cluster) startIstiod(ctx context.Context, bin string) error {
	client, err := kubernetes.NewForConfig(c.admin)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	_, err = client.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: IstiodNamespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", IstiodNamespace, err)
	}
	dir := filepath.Join(c.RunDir, "istiod")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create istiod folder: %w", err)
	}
	mesh := filepath.Join(dir, "mesh.yaml")
	if err := os.WriteFile(mesh, []byte(istiodMeshConfig), 0o644); err != nil {
		return fmt.Errorf("write istiod mesh config: %w", err)
	}
	var grpc, http, monitoring int
	for _, port := range []*int{&grpc, &http, &monitoring} {
		if *port, err = FreePort(); err != nil {
			return err
		}
	}
	c.IstiodXDSAddress = "127.0.0.1:" + strconv.Itoa(grpc)
	c.IstiodDebugURL = "http://127.0.0.1:" + strconv.Itoa(http)
	_, err = c.runEnv(tierControllers, "istiod", bin, istiodEnv, "discovery",
		"--kubeconfig="+c.Kubeconfig,
		"--meshConfig="+mesh,
		"--networksConfig="+filepath.Join(dir, "mesh-networks.yaml"), // absent: one network
		"--domain=cluster.local",
		"--grpcAddr="+c.IstiodXDSAddress,
		"--httpAddr=127.0.0.1:"+strconv.Itoa(http),
		"--monitoringAddr=127.0.0.1:"+strconv.Itoa(monitoring),
		"--httpsAddr=",
		"--secureGRPCAddr=",
		"--log_output_level=default:info")
	return err
}

// istiodReady checks istiod's own readiness endpoint: it answers 200 once
// istiod's caches are synced and it serves xDS.
func (c *Cluster) istiodReady(ctx context.Context) error {
	return httpOK(ctx, nil, c.IstiodDebugURL+"/ready")
}
