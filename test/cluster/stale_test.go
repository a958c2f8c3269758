package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestABinaryOlderThanAProductSourceIsRefused(t *testing.T) {
	root := t.TempDir()
	write := func(rel string, at time.Time) string {
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
		return path
	}
	t0 := time.Now().Add(-time.Hour)
	write("go.mod", t0)
	write("pkg/a/a.go", t0)
	bin := write("bin/meshcanary", t0.Add(time.Minute))
	for name, tc := range map[string]struct {
		changed string // a file changed after the build; "" for none
		want    string // "" when the binary is accepted
	}{
		"a binary newer than every source is accepted":   {},
		"a test file changed since does not matter":      {changed: "pkg/a/a_test.go"},
		"a file outside cmd, pkg and internal does not":  {changed: "docs/x.go"},
		"a product source changed since is named":        {changed: "pkg/a/b.go", want: "older than pkg/a/b.go"},
		"a command's source changed since is named":      {changed: "cmd/meshcanary/main.go", want: "older than cmd/meshcanary/main.go"},
		"a dependency change in go.sum is named as well": {changed: "go.sum", want: "older than go.sum"},
	} {
		t.Run(name, func(t *testing.T) {
			if tc.changed != "" {
				path := write(tc.changed, t0.Add(2*time.Minute))
				defer os.Remove(path)
			}
			err := newerSource(root, bin)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
