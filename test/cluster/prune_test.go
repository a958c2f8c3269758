package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestPruneRunsKeepsTheNewestAndThoseOfLiveProcesses(t *testing.T) {
	root := t.TempDir()
	const dead = 1 << 30 // above any pid_max
	mk := func(name string, age time.Duration) {
		dir := filepath.Join(root, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(dir, at, at); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4 {
		mk(fmt.Sprintf("e2e-20261128-12000%d-%d", i, dead), time.Duration(10-i)*time.Hour)
	}
	mk(fmt.Sprintf("e2e-20261127-120000-%d", os.Getpid()), 48*time.Hour) // old, but its process runs
	mk("notes", 72*time.Hour)                                            // not a run folder
	if err := os.WriteFile(filepath.Join(root, "unit.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	if err := pruneRuns(root, 2); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{
		fmt.Sprintf("e2e-20261127-120000-%d", os.Getpid()),
		fmt.Sprintf("e2e-20261128-120002-%d", dead),
		fmt.Sprintf("e2e-20261128-120003-%d", dead),
		"notes", "unit.json",
	}
	if !slices.Equal(got, want) {
		t.Errorf("after pruning: %q, want %q", got, want)
	}
}
