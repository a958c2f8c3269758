package cli

import (
	"github.com/meshcanary/meshcanary/internal/golden"

	"encoding/json"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// now is the fixed clock of the tests.
var now = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// checkGolden compares got with testdata/<name>.golden.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, name+".golden", got)
}

// deployment is an opted-in Deployment created age before now, with status s
// (none when nil).
func deployment(ns, name string, age time.Duration, s *stepper.Status) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{
		Namespace:         ns,
		Name:              name,
		CreationTimestamp: metav1.NewTime(now.Add(-age)),
		Labels:            map[string]string{config.EnabledLabel: config.EnabledValue},
		Annotations:       map[string]string{},
	}}
	if s != nil {
		setStatus(d, *s)
	}
	return d
}

// setStatus writes s into d's status annotation, as the controller does.
func setStatus(d *appsv1.Deployment, s stepper.Status) {
	data, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	d.Annotations[config.StatusAnnotation] = string(data)
}
