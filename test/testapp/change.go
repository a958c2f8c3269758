package testapp

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// SetOptedIn adds (in) or removes (!in) the label that opts the app's
// Deployment in ns in, as a user would with kubectl label.
func SetOptedIn(ctx context.Context, kube kubernetes.Interface, ns string, in bool) error {
	value := "null"
	if in {
		value = fmt.Sprintf("%q", config.EnabledValue)
	}
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%s}}}`, config.EnabledLabel, value)
	if _, err := kube.AppsV1().Deployments(ns).Patch(ctx, Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("setting the opt-in label of %s/%s to %t: %w", ns, Name, in, err)
	}
	return nil
}

// Update changes the app's Deployment in ns with mutate, as a user would
// (kubectl edit), retrying on conflicts with the controller's own writes,
// and returns the Deployment written.
func Update(ctx context.Context, kube kubernetes.Interface, ns string, mutate func(*appsv1.Deployment)) (*appsv1.Deployment, error) {
	var out *appsv1.Deployment
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		d, err := kube.AppsV1().Deployments(ns).Get(ctx, Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		mutate(d)
		out, err = kube.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("updating Deployment %s/%s: %w", ns, Name, err)
	}
	return out, nil
}
