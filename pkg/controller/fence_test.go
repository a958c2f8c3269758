package controller

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// TestAClosedFenceRefusesWritesAndLetsReadsThrough drives a real client
// through the fence: before Close both pass; after it, a write never
// reaches the server and fails with ErrFenced, and a read still does.
func TestAClosedFenceRefusesWritesAndLetsReadsThrough(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"ns"}}`))
	}))
	defer srv.Close()
	fence := &Fence{}
	cfg := &rest.Config{Host: srv.URL}
	cfg.Wrap(fence.Wrap)
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := kube.CoreV1().Namespaces().Delete(ctx, "ns", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("a write before Close: %v", err)
	}
	fence.Close()
	if err := kube.CoreV1().Namespaces().Delete(ctx, "ns", metav1.DeleteOptions{}); !errors.Is(err, ErrFenced) {
		t.Errorf("a write after Close: error %v, want ErrFenced", err)
	}
	if _, err := kube.CoreV1().Namespaces().Get(ctx, "ns", metav1.GetOptions{}); err != nil {
		t.Errorf("a read after Close: %v", err)
	}
	if want := []string{"DELETE", "GET"}; len(seen) != 2 || seen[0] != want[0] || seen[1] != want[1] {
		t.Errorf("the server saw %v, want %v: the fenced write must not reach it", seen, want)
	}
}
