//go:build scale

package scale

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clockTicks is the unit of the CPU times in /proc/<pid>/stat, USER_HZ:
// 100 on every Linux architecture Go runs on.
const clockTicks = 100

// sampleMemory records the largest VmRSS, every second, until the process exits.
func (p *controllerProcess) sampleMemory() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for p.Running() {
		if rss, err := p.procStatus("VmRSS"); err == nil {
			p.mu.Lock()
			p.maxRSS = max(p.maxRSS, rss)
			p.mu.Unlock()
		}
		<-tick.C
	}
}

// memory returns the kernel's peak resident set (VmHWM) and the largest
// VmRSS sampled, in bytes.
func (p *controllerProcess) memory() (hwm, sampled int64, err error) {
	hwm, err = p.procStatus("VmHWM")
	p.mu.Lock()
	defer p.mu.Unlock()
	return hwm, p.maxRSS, err
}

// procStatus reads a "<key>: <n> kB" line of /proc/<pid>/status, in bytes.
func (p *controllerProcess) procStatus(key string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0, fmt.Errorf("reading the controller's memory: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == key+":" && fields[2] == "kB" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, p.Pid())
}

// cpuSeconds returns the CPU time, user and system, the process has used
// so far, from /proc/<pid>/stat.
func (p *controllerProcess) cpuSeconds() (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Pid()))
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of %s: %w", p.name, err)
	}
	return statCPUSeconds(string(data))
}

// statCPUSeconds returns utime + stime, in seconds, from the text of a
// /proc/<pid>/stat file. The command name, in parentheses, may hold spaces,
// so fields are counted after its closing parenthesis.
func statCPUSeconds(stat string) (float64, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("no command name in /proc stat %q", stat)
	}
	fields := strings.Fields(stat[end+1:]) // fields[0] is field 3, the state
	if len(fields) < 13 {
		return 0, fmt.Errorf("too few fields in /proc stat %q", stat)
	}
	var ticks int64
	for _, f := range fields[11:13] { // fields 14 (utime) and 15 (stime)
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("CPU time %q in /proc stat: %w", f, err)
		}
		ticks += n
	}
	return float64(ticks) / clockTicks, nil
}

func TestStatCPUSeconds(t *testing.T) {
	tests := map[string]struct {
		stat    string
		want    float64
		wantErr bool
	}{
		"utime and stime add up in seconds": {
			stat: "4242 (meshcanary) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 12 0 100 0 0",
			want: 3.25,
		},
		"a command name with spaces and parentheses is skipped whole": {
			stat: "7 (my (odd) name) R 1 7 7 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 0",
			want: 0.02,
		},
		"a truncated line is an error": {stat: "7 (x) R 1 7", wantErr: true},
		"no command name is an error":  {stat: "garbage", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := statCPUSeconds(tc.stat)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("statCPUSeconds = %v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
