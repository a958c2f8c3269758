package main

import (
	"fmt"
	"net/http"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/transport"
)

// newLogger builds the controller's zap logger: JSON (or console) at the
// given level, with ISO-8601 timestamps.
func newLogger(level, format string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	var cfg zap.Config
	switch format {
	case "json":
		cfg = zap.NewProductionConfig()
	case "console":
		cfg = zap.NewDevelopmentConfig()
	default:
		return nil, fmt.Errorf("--log-format %q: want json or console", format)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	cfg.Sampling = nil
	return cfg.Build()
}

// prometheusClient returns the HTTP client for Prometheus: with a bearer
// token read from tokenFile on every request (so a rotated token is picked
// up), or the default client.
func prometheusClient(tokenFile string) (*http.Client, error) {
	if tokenFile == "" {
		return nil, nil
	}
	rt, err := transport.NewBearerAuthWithRefreshRoundTripper("", tokenFile, http.DefaultTransport)
	if err != nil {
		return nil, fmt.Errorf("--prometheus-bearer-token-file: %w", err)
	}
	return &http.Client{Transport: rt}, nil
}
