//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// promSwitch is a reverse proxy in front of Prometheus that the controller
// queries. Switched off, it drops every connection without an answer, as an
// unreachable Prometheus would.
type promSwitch struct {
	listener net.Listener
	server   *http.Server
	down     atomic.Bool
	dropped  atomic.Int64
}

// newPromSwitch starts a proxy to the Prometheus at target on a loopback port.
func newPromSwitch(target string) (*promSwitch, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("prometheus URL %q: %w", target, err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("prometheus proxy: %w", err)
	}
	s := &promSwitch{listener: ln}
	proxy := httputil.NewSingleHostReverseProxy(u)
	s.server = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.down.Load() {
			proxy.ServeHTTP(w, r)
			return
		}
		s.dropped.Add(1)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
	})}
	go func() {
		if err := s.server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("e2e: prometheus proxy stopped:", err)
		}
	}()
	return s, nil
}

// URL is the proxy's base URL, given to the controller as --prometheus-url.
func (s *promSwitch) URL() string { return "http://" + s.listener.Addr().String() }

// setDown switches Prometheus off (true) or on (false) for the controller.
func (s *promSwitch) setDown(down bool) { s.down.Store(down) }

// droppedRequests is how many requests were dropped while switched off.
func (s *promSwitch) droppedRequests() int64 { return s.dropped.Load() }

func (s *promSwitch) close() { _ = s.server.Close() }
