package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// builtSinceSources returns an error naming a product source (a non-test
// .go file under cmd/, pkg/ or internal/, or go.mod or go.sum) of the
// repository at root that changed after bin was built; nil when none did
// or bin does not exist (the caller reports that). It looks once per
// process and binary.
func builtSinceSources(root, bin string) error {
	return staleChecks.check(root, bin)
}

var staleChecks staleCache

// staleCache remembers the answer of builtSinceSources per binary.
type staleCache struct {
	mu   sync.Mutex
	done map[string]error
}

func (c *staleCache) check(root, bin string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err, ok := c.done[bin]; ok {
		return err
	}
	err := newerSource(root, bin)
	if c.done == nil {
		c.done = map[string]error{}
	}
	c.done[bin] = err
	return err
}

func newerSource(root, bin string) error {
	info, err := os.Stat(bin)
	if err != nil {
		return nil
	}
	built := info.ModTime()
	var newest string
	var newestAt time.Time
	consider := func(path string) {
		if fi, err := os.Stat(path); err == nil && fi.ModTime().After(built) && fi.ModTime().After(newestAt) {
			newest, newestAt = path, fi.ModTime()
		}
	}
	consider(filepath.Join(root, "go.mod"))
	consider(filepath.Join(root, "go.sum"))
	for _, dir := range []string{"cmd", "pkg", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
				consider(path)
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("looking for sources newer than %s: %w", bin, err)
		}
	}
	if newest == "" {
		return nil
	}
	rel, _ := filepath.Rel(root, newest)
	return fmt.Errorf("%s (built %s) is older than %s (changed %s): run `make build`",
		bin, built.Format(time.TimeOnly), rel, newestAt.Format(time.TimeOnly))
}
