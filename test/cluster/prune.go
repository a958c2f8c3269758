package cluster

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// keepRuns is how many run folders newCluster keeps in the log root, the
// new one included, besides those of processes still running.
const keepRuns = 10

// runFolder matches a run folder's name, <name>-<date>-<time>-<pid>, and
// captures the pid of the process that made it.
var runFolder = regexp.MustCompile(`^.+-\d{8}-\d{6}-(\d+)$`)

// pruneRuns removes the run folders of root beyond the keep newest ones,
// except those of a process that still runs (a cluster of another test
// binary may be using it). Anything else in root is left alone.
func pruneRuns(root string, keep int) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return err
	}
	type run struct {
		path string
		pid  int
		mod  time.Time
	}
	var runs []run
	for _, e := range entries {
		m := runFolder.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		pid, _ := strconv.Atoi(m[1])
		runs = append(runs, run{path: filepath.Join(root, e.Name()), pid: pid, mod: info.ModTime()})
	}
	slices.SortFunc(runs, func(a, b run) int { return b.mod.Compare(a.mod) })
	var errs []error
	for _, r := range runs[min(keep, len(runs)):] {
		if processRuns(r.pid) {
			continue
		}
		errs = append(errs, os.RemoveAll(r.path))
	}
	return errors.Join(errs...)
}

// processRuns reports whether a process with this pid exists.
func processRuns(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
