package gates

import (
	"strings"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// Subject is the canary a webhook gate or a release hook is asked about;
// both payloads carry its fields at their top level.
type Subject struct {
	Namespace  string `json:"namespace"`
	Deployment string `json:"deployment"`
	Primary    string `json:"primary"`
	Service    string `json:"service"`
	// Revision is the revision under release.
	Revision string `json:"revision"`
}

// PayloadAnnotations are the annotations a webhook gate or a release hook
// receives: the Deployment's meshcanary.io/ annotations except the status;
// nil when there are none.
func PayloadAnnotations(annotations map[string]string) map[string]string {
	var out map[string]string
	for k, v := range annotations {
		if strings.HasPrefix(k, config.Prefix) && k != config.StatusAnnotation {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
