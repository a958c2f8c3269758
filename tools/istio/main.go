// Command istio-webhook serves Istio's validating admission webhook on its own, so a
// local kube-apiserver rejects invalid Istio configuration (VirtualService,
// DestinationRule, …, in every served version) with exactly the message istiod's
// webhook gives in a real mesh. It mounts istio.io/istio/pkg/webhooks/validation/server,
// the handler istiod itself serves at /validate, over the schemas istiod registers;
// that handler validates each object with istio.io/istio/pkg/config/validation.
//
//	istio-webhook --listen=127.0.0.1:9443 --tls-cert-file=serving.crt --tls-key-file=serving.key
//
// GET /ready answers 200 once the server is listening.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"istio.io/istio/pkg/config/schema/collections"
	"istio.io/istio/pkg/webhooks/validation/server"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "istio-webhook:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:9443", "address to serve HTTPS on")
	certFile := flag.String("tls-cert-file", "", "PEM serving certificate (required)")
	keyFile := flag.String("tls-key-file", "", "PEM private key of the serving certificate (required)")
	domainSuffix := flag.String("domain-suffix", "cluster.local", "DNS suffix of the mesh's service hostnames")
	flag.Parse()
	if *certFile == "" || *keyFile == "" {
		return errors.New("--tls-cert-file and --tls-key-file are required")
	}

	mux := http.NewServeMux()
	if _, err := server.New(server.Options{
		Schemas:      collections.PilotGatewayAPI(),
		DomainSuffix: *domainSuffix,
		Mux:          mux,
	}); err != nil {
		return fmt.Errorf("create validation handler: %w", err)
	}
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *listen, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()

	fmt.Fprintf(os.Stderr, "istio-webhook: serving https://%s/validate\n", ln.Addr())
	if err := srv.ServeTLS(ln, *certFile, *keyFile); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
