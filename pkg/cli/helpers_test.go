package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/stepper"
)

// now is the fixed clock of the tests.
var now = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

// checkGolden compares got with testdata/<name>.golden, rewriting the file
// instead when UPDATE_GOLDEN=1.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if os.Getenv("UPDATE_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("write golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with UPDATE_GOLDEN=1 to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got, UPDATE_GOLDEN=1 rewrites it):\n%s", path, diff)
	}
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
