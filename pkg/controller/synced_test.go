package controller

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	istiofake "istio.io/client-go/pkg/clientset/versioned/fake"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshcanary/meshcanary/pkg/metrics"
)

// init turns client-go's watch-list off for this package's tests: istio's
// fake clientset does not end its initial events with the bookmark that
// watch-list waits for, so its informers would never sync.
func init() {
	if err := os.Setenv("KUBE_FEATURE_WatchListClient", "false"); err != nil {
		panic(err)
	}
}

func TestCachesSyncedNamesTheCachesThatHaveNotSynced(t *testing.T) {
	kube, istio := kubefake.NewClientset(), istiofake.NewSimpleClientset()
	var denied atomic.Bool // VirtualServices cannot be listed, as without RBAC for them
	denied.Store(true)
	istio.PrependReactor("list", "virtualservices", func(k8stesting.Action) (bool, runtime.Object, error) {
		if denied.Load() {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "networking.istio.io", Resource: "virtualservices"}, "", nil)
		}
		return false, nil, nil
	})
	c, err := New(Options{Kube: kube, Istio: istio, Namespaces: []string{"shop"}, VirtualServiceNamespaces: []string{"gateways"},
		Metrics: metrics.New(prometheus.NewRegistry())})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := c.CachesSynced(); err == nil || !strings.Contains(err.Error(), "virtualservices in namespace shop") ||
		!strings.Contains(err.Error(), "opted-in deployments in namespace shop") {
		t.Errorf("before Run: %v, want every cache named", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = c.Run(ctx, 1) }()
	waitFor(t, "every cache but the VirtualServices' to sync", func() bool {
		err := c.CachesSynced()
		return err != nil && err.Error() == "informer caches not synced: virtualservices in namespace gateways, virtualservices in namespace shop"
	})
	denied.Store(false)
	waitFor(t, "the caches to sync once VirtualServices can be listed", func() bool { return c.CachesSynced() == nil })
}

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
	}
}
