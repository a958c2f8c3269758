package cluster

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// namespaceReady bounds how long CreateNamespace waits for the default
// service account.
const namespaceReady = time.Minute

// CreateNamespace creates the namespace name and waits for its default
// service account (kube-controller-manager makes it), without which pods
// are refused; it returns the name. A name ending in "-" is a prefix the
// apiserver completes (GenerateName). Any error fails t.
func CreateNamespace(t testing.TB, kube kubernetes.Interface, name string) string {
	t.Helper()
	meta := metav1.ObjectMeta{Name: name}
	if strings.HasSuffix(name, "-") {
		meta = metav1.ObjectMeta{GenerateName: name}
	}
	ns, err := kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: meta}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	Eventually(t, namespaceReady, "the default service account of namespace "+ns.Name, func(ctx context.Context) error {
		_, err := kube.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
		return err
	})
	return ns.Name
}
