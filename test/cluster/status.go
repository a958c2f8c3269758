package cluster

import (
	"context"
	"fmt"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	istioclient "istio.io/client-go/pkg/clientset/versioned"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshcanary/meshcanary/pkg/cli"
	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// StatusOf reads the release status meshcanary keeps for the Deployment
// ns/name, as meshcanary status does (cli.StatusOf): from the
// VirtualService that routes for it, else from an older controller's
// annotation on the Deployment; with a role swap, the start of a release
// recorded on the canary's slot while the VirtualService's status is still
// idle. ok is false when there is none yet. Tests read statuses through it
// instead of decoding annotations themselves.
func StatusOf(ctx context.Context, kube kubernetes.Interface, istio istioclient.Interface, ns, name string) (s stepper.Status, ok bool, err error) {
	d, err := kube.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return stepper.Status{}, false, fmt.Errorf("getting deployment %s/%s: %w", ns, name, err)
	}
	list, err := istio.NetworkingV1().VirtualServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return stepper.Status{}, false, fmt.Errorf("listing virtualservices of %s: %w", ns, err)
	}
	vss := make([]*networkingv1.VirtualService, len(list.Items))
	copy(vss, list.Items)
	managed, err := kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{LabelSelector: config.PrimaryOfLabel + "=" + name})
	if err != nil {
		return stepper.Status{}, false, fmt.Errorf("listing the deployments meshcanary manages for %s/%s: %w", ns, name, err)
	}
	slots := make([]*appsv1.Deployment, len(managed.Items))
	for i := range managed.Items {
		slots[i] = &managed.Items[i]
	}
	st, err := cli.StatusOf(d, vss, slots)
	if err != nil || st == nil {
		return stepper.Status{}, false, err
	}
	return *st, true, nil
}
