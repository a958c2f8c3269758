//go:build e2e

package cluster

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestIstiod starts a cluster with istiod out of cluster and checks that it is
// ready, serves xDS on loopback, made its own CA and distributes its root
// certificate to the namespaces, with its log in the run folder.
func TestIstiod(t *testing.T) {
	c := StartForTest(t, Options{Istiod: true})
	client := kubernetes.NewForConfigOrDie(c.AdminConfig())
	ctx := t.Context()

	if !strings.HasPrefix(c.IstiodXDSAddress, "127.0.0.1:") {
		t.Errorf("xDS address %q, want one on 127.0.0.1", c.IstiodXDSAddress)
	}
	conn, err := net.DialTimeout("tcp", c.IstiodXDSAddress, 5*time.Second)
	if err != nil {
		t.Fatalf("dial istiod's xDS port: %v", err)
	}
	_ = conn.Close()

	// istiod's self-signed CA: its key pair is a secret in istio-system.
	secret, err := client.CoreV1().Secrets(IstiodNamespace).Get(ctx, "istio-ca-secret", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("istiod's CA secret: %v", err)
	}
	if len(secret.Data["ca-cert.pem"]) == 0 || len(secret.Data["ca-key.pem"]) == 0 {
		t.Errorf("istio-ca-secret has keys %v, want ca-cert.pem and ca-key.pem", keys(secret.Data))
	}

	// Its namespace controller writes the root certificate into every namespace.
	ns := CreateNamespace(t, client, "istiod-")
	Eventually(t, 30*time.Second, "istiod's root certificate in namespace "+ns, func(ctx context.Context) error {
		_, err := client.CoreV1().ConfigMaps(ns).Get(ctx, "istio-ca-root-cert", metav1.GetOptions{})
		return err
	})

	log, err := os.ReadFile(filepath.Join(c.RunDir, "istiod.log"))
	if err != nil {
		t.Fatalf("istiod's log: %v", err)
	}
	if !strings.Contains(string(log), "starting discovery service") {
		t.Errorf("istiod.log does not say %q", "starting discovery service")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
