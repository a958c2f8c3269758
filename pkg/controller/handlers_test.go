package controller

import (
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
)

func TestUserChangedIgnoresOnlyMeshcanarysOwnStatusWrite(t *testing.T) {
	base := func() *appsv1.Deployment {
		d := webDeployment(map[string]string{config.StatusAnnotation: `{"phase":"Ready"}`, "team": "a"})
		d.ResourceVersion = "1"
		return d
	}
	cases := map[string]struct {
		change func(*appsv1.Deployment)
		want   bool
	}{
		"only the status annotation changed":      {func(d *appsv1.Deployment) { d.Annotations[config.StatusAnnotation] = `{"phase":"Progressing"}` }, false},
		"only the resource version changed":       {func(d *appsv1.Deployment) { d.ResourceVersion = "2" }, false},
		"a configuration annotation changed":      {func(d *appsv1.Deployment) { d.Annotations[config.Prefix+config.KeySteps] = "5" }, true},
		"an annotation was removed":               {func(d *appsv1.Deployment) { delete(d.Annotations, "team") }, true},
		"the spec changed (generation)":           {func(d *appsv1.Deployment) { d.Generation++ }, true},
		"the rollout status changed":              {func(d *appsv1.Deployment) { d.Status.AvailableReplicas = 1 }, true},
		"the opt-in label changed":                {func(d *appsv1.Deployment) { d.Labels[config.EnabledLabel] = "no" }, true},
		"the status annotation appeared at first": {func(d *appsv1.Deployment) { d.Annotations = map[string]string{"team": "a"} }, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			newD := base()
			tc.change(newD)
			if got := userChanged(base(), newD); got != tc.want {
				t.Errorf("userChanged = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStatusOnlyIgnoresMeshcanarysStatusWritesOfTheVirtualServiceAlone(t *testing.T) {
	base := func() *networkingv1.VirtualService {
		vs := istio.DesiredVirtualService(nil, istio.Routing{Target: istio.Target{Namespace: "ns", Service: "web", Deployment: "web"}, Total: 100})
		vs.Annotations[config.StatusAnnotation] = `{"phase":"Ready"}`
		vs.ResourceVersion = "1"
		return vs
	}
	cases := map[string]struct {
		change func(*networkingv1.VirtualService)
		want   bool
	}{
		"meshcanary's status-only write": {func(vs *networkingv1.VirtualService) {
			vs.Annotations[config.StatusAnnotation] = `{"phase":"Progressing"}`
		}, true},
		"a route write with its status": {func(vs *networkingv1.VirtualService) {
			vs.Annotations[config.StatusAnnotation] = `{"phase":"Progressing","step":1}`
			vs.Spec.Http[0].Route[0].Weight = 90
		}, false},
		"a user's edit of the routes":     {func(vs *networkingv1.VirtualService) { vs.Spec.Hosts = append(vs.Spec.Hosts, "web.example.com") }, false},
		"a user's annotation":             {func(vs *networkingv1.VirtualService) { vs.Annotations["team"] = "a" }, false},
		"a user's label":                  {func(vs *networkingv1.VirtualService) { vs.Labels["team"] = "a" }, false},
		"the routes-for mark was removed": {func(vs *networkingv1.VirtualService) { delete(vs.Annotations, config.RoutesForAnnotation) }, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			newVS := base()
			tc.change(newVS)
			if got := statusOnly(base(), newVS); got != tc.want {
				t.Errorf("statusOnly = %v, want %v", got, tc.want)
			}
		})
	}
}
