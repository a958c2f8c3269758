package controller

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/meshcanary/meshcanary/pkg/metrics"
)

func TestOwnWritesBehind(t *testing.T) {
	cases := map[string]struct {
		wroteStatus bool
		wroteGen    int64
		cached      string
		cachedGen   int64
		elapsed     time.Duration
		want        bool
	}{
		"without a write of its own the cache is trusted":                     {cached: "old", want: false},
		"a cache showing the status written is not behind":                    {wroteStatus: true, cached: "new", want: false},
		"a cache still showing the previous status is behind":                 {wroteStatus: true, cached: "old", elapsed: time.Second, want: true},
		"past the wait the cache is trusted even if it shows another one":     {wroteStatus: true, cached: "old", elapsed: ownWriteWait + time.Second, want: false},
		"a cache showing the Deployment before the replica write is behind":   {wroteGen: 5, cachedGen: 4, elapsed: time.Second, want: true},
		"a cache showing the generation of the replica write is not behind":   {wroteGen: 5, cachedGen: 5, want: false},
		"a status shown with the replica write not shown yet is still behind": {wroteStatus: true, cached: "new", wroteGen: 5, cachedGen: 4, want: true},
		"past the wait the cache is trusted even with an older generation":    {wroteGen: 5, cachedGen: 4, elapsed: ownWriteWait + time.Second, want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var w ownWrites
			if tc.wroteStatus {
				w.wrote("ns/web", "new", t0)
			}
			if tc.wroteGen > 0 {
				w.wroteUser("ns/web", tc.wroteGen, t0)
			}
			if got := w.behind("ns/web", tc.cached, tc.cachedGen, t0.Add(tc.elapsed)); got != tc.want {
				t.Errorf("behind = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOwnWritesSplitsBehind(t *testing.T) {
	split := func(gen int64) []*networkingv1.VirtualService {
		return []*networkingv1.VirtualService{{ObjectMeta: metav1.ObjectMeta{Namespace: "istio-system", Name: "public-web", Generation: gen}}}
	}
	cases := map[string]struct {
		wrote   int64
		cached  []*networkingv1.VirtualService
		elapsed time.Duration
		want    bool
	}{
		"without a write of its own the cache is trusted":                         {cached: split(3)},
		"a cache still showing the split before the write is behind":              {wrote: 4, cached: split(3), elapsed: time.Second, want: true},
		"a cache showing the generation of the write is not behind":               {wrote: 4, cached: split(4)},
		"a cache showing a later generation is not behind":                        {wrote: 4, cached: split(5)},
		"a VirtualService no longer split is not waited for":                      {wrote: 4},
		"past the wait the cache is trusted even if it shows an older generation": {wrote: 4, cached: split(3), elapsed: ownWriteWait + time.Second},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var w ownWrites
			if tc.wrote > 0 {
				w.wroteSplit("ns/web", "istio-system/public-web", tc.wrote, t0)
			}
			if got := w.splitsBehind("ns/web", tc.cached, t0.Add(tc.elapsed)); got != tc.want {
				t.Errorf("splitsBehind = %v, want %v", got, tc.want)
			}
			if got := w.splitsBehind("ns/web", tc.cached, t0.Add(tc.elapsed)); got != tc.want {
				t.Errorf("asked again, splitsBehind = %v, want %v", got, tc.want)
			}
			if !tc.want && len(w.m) != 0 {
				t.Errorf("a record awaiting nothing is kept: %v", w.m)
			}
		})
	}
}

func TestUpdateUserOnConflict(t *testing.T) {
	cached := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{
		Name: "web", Namespace: "ns", UID: "u1", Generation: 3, ResourceVersion: "10",
		Annotations: map[string]string{"owner": "shop"},
	}, Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2)}}
	cases := map[string]struct {
		live        func(*appsv1.Deployment)
		wantErr     bool
		wantUpdates int
	}{
		"a conflict with an update of .status alone is retried on the live object": {
			live:        func(d *appsv1.Deployment) { d.Status.ReadyReplicas = 2 },
			wantUpdates: 2,
		},
		"a conflict with the Deployment controller's revision annotation is retried on the live object": {
			live:        func(d *appsv1.Deployment) { d.Annotations["deployment.kubernetes.io/revision"] = "2" },
			wantUpdates: 2,
		},
		"a conflict with a user's edit of the spec is returned": {
			live:        func(d *appsv1.Deployment) { d.Generation = 4 },
			wantErr:     true,
			wantUpdates: 1,
		},
		"a conflict with a user's edit of an annotation is returned": {
			live:        func(d *appsv1.Deployment) { d.Annotations["team"] = "a" },
			wantErr:     true,
			wantUpdates: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			live := cached.DeepCopy()
			live.ResourceVersion = "11"
			tc.live(live)
			kube := kubefake.NewClientset(live)
			updates := 0
			kube.PrependReactor("update", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
				updates++
				if updates == 1 {
					return true, nil, apierrors.NewConflict(schema.GroupResource{Group: "apps", Resource: "deployments"}, "web", nil)
				}
				return false, nil, nil
			})
			c := &Controller{kube: kube, metrics: metrics.New(prometheus.NewRegistry())}
			d := cached.DeepCopy()
			d.Spec.Replicas = ptr.To[int32](5)
			_, err := c.updateUser(context.Background(), cached, d)
			if (err != nil) != tc.wantErr || updates != tc.wantUpdates {
				t.Fatalf("updateUser: error %v after %d updates, want error %v after %d", err, updates, tc.wantErr, tc.wantUpdates)
			}
			got, _ := kube.AppsV1().Deployments("ns").Get(context.Background(), "web", metav1.GetOptions{})
			want := int32(5)
			if tc.wantErr {
				want = 2
			}
			if n := ptr.Deref(got.Spec.Replicas, 0); n != want {
				t.Errorf("live replicas %d, want %d", n, want)
			}
		})
	}
}
