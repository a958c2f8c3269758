//go:build scale

package scale

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"k8s.io/client-go/kubernetes"
)

// profileAPIServer records, in the background, the API server's CPU
// profile over the d that follows (its /debug/pprof, on by default) into
// path: where the API server's time goes while the controller reacts. The
// channel says how it went once the profile is written.
func profileAPIServer(ctx context.Context, kube kubernetes.Interface, d time.Duration, path string) <-chan error {
	out := make(chan error, 1)
	go func() {
		err := saveAnswer(ctx, kube.Discovery().RESTClient().Get().AbsPath("/debug/pprof/profile").
			Param("seconds", strconv.Itoa(int(d.Seconds()))).Timeout(d+time.Minute), path)
		if err != nil {
			err = fmt.Errorf("the API server's CPU profile: %w", err)
		}
		out <- err
	}()
	return out
}
