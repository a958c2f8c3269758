package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// pollInterval is how often readiness checks run.
const pollInterval = 100 * time.Millisecond

// waitFor runs check every pollInterval until it returns nil. It fails when ctx
// ends or as soon as any process of the cluster has exited.
func (c *Cluster) waitFor(ctx context.Context, what string, check func(context.Context) error) error {
	err := Poll(ctx, pollInterval, func(ctx context.Context) error {
		if err := c.exitedProcess(); err != nil {
			return Permanent(err)
		}
		return check(ctx)
	})
	if err != nil {
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}

// exitedProcess reports the first process that is no longer running.
func (c *Cluster) exitedProcess() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tier := range c.tiers {
		for _, p := range tier {
			if err := p.exitError(); err != nil {
				return err
			}
		}
	}
	return nil
}

// readiness is one thing Start waits for.
type readiness struct {
	what  string
	check func(context.Context) error
}

// waitReady waits until the controllers, nodes, Istio's CRDs and webhook,
// istiod and Prometheus all work.
func (c *Cluster) waitReady(ctx context.Context, opts Options) error {
	client, err := kubernetes.NewForConfig(c.admin)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	checks := []readiness{
		{"the default service account (kube-controller-manager)", func(ctx context.Context) error {
			_, err := client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
			return err
		}},
		{"Ready nodes (kwok)", func(ctx context.Context) error { return nodesReady(ctx, client, c.Nodes) }},
		{"Istio's CRDs established", c.istioCRDsEstablished},
		{"Istio's validating webhook", c.webhookEffective},
	}
	if opts.Istiod {
		checks = append(checks, readiness{"istiod ready", c.istiodReady})
	}
	if opts.Prometheus != nil {
		checks = append(checks, readiness{"Prometheus ready", func(ctx context.Context) error {
			return httpOK(ctx, nil, c.PrometheusURL+"/-/ready")
		}})
	}
	for _, ch := range checks {
		if err := c.waitFor(ctx, ch.what, ch.check); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) apiserverReady(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(c.admin)
	if err != nil {
		return fmt.Errorf("create client: %w", err)
	}
	_, err = client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	return err
}

// httpOK checks that a GET of url answers 200, trusting caPEM when it is set.
func httpOK(ctx context.Context, caPEM []byte, url string) error {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if caPEM != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caPEM)
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	defer transport.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build request for %s: %w", url, err)
	}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return nil
}
