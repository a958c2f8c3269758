package main

import (
	"testing"

	"k8s.io/client-go/rest"
)

func TestValidateContentType(t *testing.T) {
	for name, tc := range map[string]struct {
		value   string
		wantErr string
	}{
		"protobuf": {value: "application/vnd.kubernetes.protobuf"},
		"json":     {value: "application/json"},
		"empty":    {value: "", wantErr: `--kube-api-content-type="": must be "application/vnd.kubernetes.protobuf" or "application/json"`},
		"yaml":     {value: "application/yaml", wantErr: `--kube-api-content-type="application/yaml": must be "application/vnd.kubernetes.protobuf" or "application/json"`},
	} {
		t.Run(name, func(t *testing.T) {
			err := validateContentType(tc.value)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Fatalf("validateContentType(%q) = %q, want %q", tc.value, got, tc.wantErr)
			}
		})
	}
}

func TestWithContentTypeLeavesTheConfigAlone(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:6443"}
	got := withContentType(cfg, "application/vnd.kubernetes.protobuf")
	if got.ContentType != "application/vnd.kubernetes.protobuf" || got.Host != cfg.Host {
		t.Errorf("withContentType: content type %q, host %q; want protobuf and %q", got.ContentType, got.Host, cfg.Host)
	}
	if cfg.ContentType != "" {
		t.Errorf("withContentType changed its argument's content type to %q", cfg.ContentType)
	}
}
