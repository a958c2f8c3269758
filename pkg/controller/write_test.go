package controller

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/meshcanary/meshcanary/pkg/metrics"
)

func TestOnlyWritesTheAPIServerAcceptedAreCounted(t *testing.T) {
	kube := kubefake.NewClientset()
	c := &Controller{kube: kube, metrics: metrics.New(prometheus.NewRegistry())}
	deployments := kube.AppsV1().Deployments("ns")
	counted := func(verb string) float64 {
		return testutil.ToFloat64(c.metrics.Writes.WithLabelValues("Deployment", verb))
	}

	d := webDeployment(nil)
	if _, err := upsert(t.Context(), c, deployments, "Deployment", "Deployment web", nil, d, nil); err != nil {
		t.Fatal(err)
	}
	if got := counted("create"); got != 1 {
		t.Fatalf("an accepted create counted %v times, want 1", got)
	}
	if _, err := upsert(t.Context(), c, deployments, "Deployment", "Deployment web", d, d.DeepCopy(), func(a, b *appsv1.Deployment) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if got := counted("update"); got != 0 {
		t.Fatalf("an update skipped as equal counted %v times, want 0", got)
	}

	conflict := apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", errors.New("edited meanwhile"))
	kube.PrependReactor("*", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return a.GetVerb() != "get", nil, conflict
	})
	changed := d.DeepCopy()
	changed.Spec.Replicas = new(int32)
	_, err := upsert(t.Context(), c, deployments, "Deployment", "Deployment web", d, changed, nil)
	if !apierrors.IsConflict(err) || err.Error() != "updating Deployment web: "+conflict.Error() {
		t.Errorf("refused update: error %v, want the conflict wrapped with what was written", err)
	}
	if err := c.remove(t.Context(), "Deployment", "Deployment web", "web", deployments.Delete); !apierrors.IsConflict(err) {
		t.Errorf("refused delete: error %v, want the conflict", err)
	}
	for verb, want := range map[string]float64{"create": 1, "update": 0, "delete": 0} {
		if got := counted(verb); got != want {
			t.Errorf("meshcanary_api_writes_total{kind=Deployment,verb=%s} = %v after refused writes, want %v", verb, got, want)
		}
	}
}
