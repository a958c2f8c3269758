//go:build scale

package scale

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// kubeClient is the benchmark's own client of Kubernetes' kinds (its
// patches, its watches) in protobuf, as kube-controller-manager's and the
// scheduler's: the API server then encodes a watched Deployment or Pod once
// for them all and the benchmark's watch keeps up on 2 shared cores. The
// controller under test chooses its own (Flagger: JSON; meshcanary:
// --kube-api-content-type). Istio's and Flagger's kinds stay JSON, the
// only content type of custom resources.
func kubeClient(cfg *rest.Config) (kubernetes.Interface, error) {
	pb := rest.CopyConfig(cfg)
	pb.ContentType = runtime.ContentTypeProtobuf
	return kubernetes.NewForConfig(pb)
}
