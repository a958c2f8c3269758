//go:build scale

package scale

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cpuByCommand returns the CPU seconds, user and system, every process on
// the machine has used so far, summed by command name (/proc/<pid>/stat):
// two of them, a while apart, say which process had the 2 cores.
func cpuByCommand() map[string]float64 {
	out := map[string]float64{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the process has exited
		}
		s := string(data)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		if cpu, err := statCPUSeconds(s); err == nil {
			out[s[open+1:end]] += cpu
		}
	}
	return out
}

// cpuSpent says, by command, the CPU seconds from before to after, the
// largest first, leaving out commands under 0.05 s.
func cpuSpent(before, after map[string]float64) string {
	spent := map[string]float64{}
	for name, cpu := range after {
		if d := cpu - before[name]; d >= 0.05 {
			spent[name] = d
		}
	}
	names := slices.SortedFunc(maps.Keys(spent), func(a, b string) int {
		return cmp.Or(cmp.Compare(spent[b], spent[a]), strings.Compare(a, b))
	})
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s %.2f s", name, spent[name])
	}
	return strings.Join(parts, ", ")
}

func TestCPUSpent(t *testing.T) {
	before := map[string]float64{"kube-apiserver": 10, "etcd": 4, "meshcanary": 1}
	after := map[string]float64{"kube-apiserver": 12.5, "etcd": 4.02, "meshcanary": 1.5, "scale.test": 0.8}
	want := "kube-apiserver 2.50 s, scale.test 0.80 s, meshcanary 0.50 s"
	if got := cpuSpent(before, after); got != want {
		t.Errorf("cpuSpent = %q, want %q", got, want)
	}
}

func TestCPUByCommandSeesThisProcess(t *testing.T) {
	self, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimSpace(string(self))
	if _, ok := cpuByCommand()[name]; !ok {
		t.Errorf("cpuByCommand has no %q, this test's own process", name)
	}
}
