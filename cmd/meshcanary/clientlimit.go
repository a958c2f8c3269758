package main

import "fmt"

// validateClientLimit says what is wrong with --kube-api-qps and
// --kube-api-burst; nil when they are valid. A negative qps sets no
// client-side limit; 0 is refused, because client-go would read it as its
// own default of 5 requests per second.
func validateClientLimit(qps float32, burst int) error {
	switch {
	case qps == 0:
		return fmt.Errorf("--kube-api-qps=0: must be positive, or negative for no client-side limit (client-go reads 0 as 5 requests per second)")
	case qps > 0 && burst < 1:
		return fmt.Errorf("--kube-api-burst=%d: must be at least 1 when --kube-api-qps (%g) is positive", burst, qps)
	}
	return nil
}
