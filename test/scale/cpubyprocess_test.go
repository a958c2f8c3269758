//go:build scale

package scale

import (
	"cmp"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// procCPU is a process's command name and the CPU seconds, user and
// system, it has used so far.
type procCPU struct {
	command string
	cpu     float64
}

// cpuByProcess reads every process's CPU time on the machine by pid
// (/proc/<pid>/stat): two of them, a while apart, say which process had
// the cores.
func cpuByProcess() map[string]procCPU {
	out := map[string]procCPU{}
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
			out[filepath.Base(filepath.Dir(path))] = procCPU{command: s[open+1 : end], cpu: cpu}
		}
	}
	return out
}

// cpuSpent says, by command, the CPU seconds the processes spent from
// before to after, the largest first, leaving out commands under 0.05 s. A
// process is matched by pid, not by name: a kernel worker's name changes
// with its work ("kworker/u8:3-writeback"); one started since before counts
// whole. A kernel worker counts under its name without the work.
func cpuSpent(before, after map[string]procCPU) string {
	spent := map[string]float64{}
	for pid, p := range after {
		name, _, _ := strings.Cut(p.command, "-")
		if !strings.HasPrefix(name, "kworker/") {
			name = p.command
		}
		spent[name] += p.cpu - before[pid].cpu
	}
	for name, d := range spent {
		if d < 0.05 {
			delete(spent, name)
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
	before := map[string]procCPU{
		"10": {"kube-apiserver", 10}, "11": {"etcd", 4}, "12": {"meshcanary", 1}, "13": {"kworker/u8:3-events_unbound", 7},
	}
	after := map[string]procCPU{
		"10": {"kube-apiserver", 12.5}, "11": {"etcd", 4.02}, "12": {"meshcanary", 1.5}, "13": {"kworker/u8:3-writeback", 7.3},
		"20": {"scale.test", 0.8}, "21": {"meshcanary", 0.25},
	}
	want := "kube-apiserver 2.50 s, scale.test 0.80 s, meshcanary 0.75 s, kworker/u8:3 0.30 s"
	if got := cpuSpent(before, after); got != want {
		t.Errorf("cpuSpent = %q, want %q", got, want)
	}
}

func TestCPUByProcessSeesThisProcess(t *testing.T) {
	self, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	p, ok := cpuByProcess()[strconv.Itoa(os.Getpid())]
	if want := strings.TrimSpace(string(self)); !ok || p.command != want {
		t.Errorf("cpuByProcess()[this pid] = %+v, %v; want command %q", p, ok, want)
	}
}
