package workload

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// SelectingServices returns, sorted, the names of the services in
// namespace whose (non-empty) selector matches podLabels: the candidates
// for the Service a canary splits when none is named.
func SelectingServices(services []*corev1.Service, namespace string, podLabels map[string]string) []string {
	set := labels.Set(podLabels)
	var names []string
	for _, svc := range services {
		if svc.Namespace == namespace && len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(set) {
			names = append(names, svc.Name)
		}
	}
	sort.Strings(names)
	return names
}
