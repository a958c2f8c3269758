package meshsim

import (
	"os"
	"testing"
)

// TestMain turns off client-go's streaming watch-list for the informers:
// Istio's fake clientset cannot serve it (its informers would wait forever
// for the initial bookmark), unlike a real API server.
func TestMain(m *testing.M) {
	if err := os.Setenv("KUBE_FEATURE_WatchListClient", "false"); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
