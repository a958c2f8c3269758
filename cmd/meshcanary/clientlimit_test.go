package main

import "testing"

func TestClientLimitFlagsAreChecked(t *testing.T) {
	for name, tc := range map[string]struct {
		qps     float32
		burst   int
		wantErr string
	}{
		"the default sets no client-side limit":         {qps: -1, burst: 200},
		"a negative qps ignores the burst":              {qps: -1, burst: 0},
		"a positive qps with a burst is a token bucket": {qps: 100, burst: 200},
		"0 is refused, not read as client-go's 5/s": {qps: 0, burst: 200,
			wantErr: "--kube-api-qps=0: must be positive, or negative for no client-side limit (client-go reads 0 as 5 requests per second)"},
		"a token bucket without a burst is refused": {qps: 100, burst: 0,
			wantErr: "--kube-api-burst=0: must be at least 1 when --kube-api-qps (100) is positive"},
	} {
		t.Run(name, func(t *testing.T) {
			err := validateClientLimit(tc.qps, tc.burst)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Fatalf("validateClientLimit(%g, %d) = %q, want %q", tc.qps, tc.burst, got, tc.wantErr)
			}
		})
	}
}
