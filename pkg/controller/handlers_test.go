package controller

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
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
