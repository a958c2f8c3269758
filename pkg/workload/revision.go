package workload

import (
	"encoding/json"
	"fmt"
	"hash/fnv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/rand"
)

// Revision returns a short stable identifier of a pod template: the FNV-64a
// hash of its JSON encoding. Two templates have the same revision exactly
// when they serialize identically, so any change a user makes to the pod
// template (image, env, labels, annotations) is a new revision.
func Revision(tpl *corev1.PodTemplateSpec) string {
	b, err := json.Marshal(tpl)
	if err != nil {
		// A PodTemplateSpec always marshals; keep the signature total anyway.
		return "invalid"
	}
	h := fnv.New64a()
	_, _ = h.Write(b)
	return rand.SafeEncodeString(fmt.Sprint(h.Sum64()))[:10]
}
