package config

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzParse parses arbitrary steps and whole annotation maps. The map is
// written one "key=value" per line; keys without a "/" get Prefix. A non-empty
// steps argument is set as meshcanary.io/steps over whatever the map says.
//
// It checks that Parse never panics, that every problem names an annotation
// that is present with its value, and that a configuration without problems
// keeps every invariant the controller relies on.
func FuzzParse(f *testing.F) {
	f.Add("shop", "10,25,50", "")
	f.Add("shop", "0.5,1,5,25,50", "step-interval=5m\ncheck-interval=30s")
	f.Add("shop", "0.01,0.5, 100", "gateways=mesh,istio-system/gw\nhosts=*.example.com")
	f.Add("shop", "", "steps=1e2\nstep=5\nprimary-name=shop\ncanary-replicas=0")
	f.Add("web", "5,5", "paused=yes\nmax-hold=1\ngate.error-rate=1%\nmeshcanary.io/status={}")
	f.Add("web", "0.001", "check-interval=2m\nscale-down-canary=false\nmax-failed-checks=100")
	f.Add("shop", "0.50, 1.0", "")
	f.Add("a", "99.99,100", "service=web\nvirtual-service=web.routes\nprogress-deadline=1s")
	f.Add("web", "", "hook-pre-release=https://h.example.com/pre\nhook-post-rollback=ftp://x\nhook-timeout=31s\nhook-retries=10")
	f.Fuzz(func(t *testing.T, name, steps, lines string) {
		annotations := fuzzAnnotations(steps, lines)
		c, problems := Parse(name, annotations)
		for _, p := range problems {
			v, ok := annotations[p.Key]
			if !ok || v != p.Value || !strings.HasPrefix(p.Key, Prefix) || p.Valid == "" {
				t.Fatalf("problem %+v does not match a present annotation (%q present: %t)", p, v, ok)
			}
		}
		if !slices.IsSortedFunc(problems, func(a, b Problem) int { return strings.Compare(a.Key, b.Key) }) {
			t.Fatalf("problems are not sorted by key: %v", problems)
		}
		if len(problems) > 0 {
			return
		}
		checkInvariants(t, name, c)
		if v, ok := annotations[Prefix+KeySteps]; ok {
			s, total, err := ParseSteps(v)
			if err != nil || !slices.Equal(s, c.Steps) || total != c.Total {
				t.Fatalf("ParseSteps(%q) = %v, %d, %v; Parse gave %v, %d", v, s, total, err, c.Steps, c.Total)
			}
		}
	})
}

// fuzzAnnotations builds the annotation map of one FuzzParse input.
func fuzzAnnotations(steps, lines string) map[string]string {
	annotations := map[string]string{}
	for line := range strings.Lines(lines) {
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		if !strings.Contains(k, "/") {
			k = Prefix + k
		}
		annotations[k] = v
	}
	if steps != "" {
		annotations[Prefix+KeySteps] = steps
	}
	return annotations
}

// checkInvariants fails t unless c, parsed without problems for the
// Deployment name, is safe to run a release with.
func checkInvariants(t *testing.T, name string, c Config) {
	t.Helper()
	if !slices.Contains([]int32{100, 1000, 10000}, c.Total) {
		t.Fatalf("Total = %d, want 100, 1000 or 10000", c.Total)
	}
	if len(c.Steps) == 0 || len(c.Steps) > MaxSteps {
		t.Fatalf("%d steps, want 1 to %d", len(c.Steps), MaxSteps)
	}
	for i, s := range c.Steps {
		if s <= 0 || s > c.Total {
			t.Fatalf("step %d = %d, want in (0, %d]", i+1, s, c.Total)
		}
		if i > 0 && s <= c.Steps[i-1] {
			t.Fatalf("steps %v are not strictly increasing", c.Steps)
		}
	}
	formatted := make([]string, len(c.Steps))
	for i, s := range c.Steps {
		formatted[i] = strings.TrimSuffix(FormatWeight(s, c.Total), "%")
	}
	again, total, err := ParseSteps(strings.Join(formatted, ","))
	if err != nil || !slices.Equal(again, c.Steps) || total != c.Total {
		t.Fatalf("steps %v/%d format as %v and parse back as %v/%d, %v", c.Steps, c.Total, formatted, again, total, err)
	}
	for field, d := range map[string]time.Duration{
		"StepInterval": c.StepInterval, "CheckInterval": c.CheckInterval,
		"ProgressDeadline": c.ProgressDeadline, "MaxHold": c.MaxHold,
	} {
		if d < minDuration {
			t.Fatalf("%s = %s, want at least %s", field, d, minDuration)
		}
	}
	if c.CheckInterval > c.StepInterval {
		t.Fatalf("CheckInterval %s > StepInterval %s", c.CheckInterval, c.StepInterval)
	}
	if c.MaxFailedChecks < 1 || c.MaxFailedChecks > 100 {
		t.Fatalf("MaxFailedChecks = %d, want 1 to 100", c.MaxFailedChecks)
	}
	if c.CanaryReplicas != nil && (*c.CanaryReplicas < 1 || *c.CanaryReplicas > 10000) {
		t.Fatalf("CanaryReplicas = %d, want 1 to 10000", *c.CanaryReplicas)
	}
	if c.PrimaryName == name {
		t.Fatalf("PrimaryName = Deployment name %q", name)
	}
	checkHookInvariants(t, c.Hooks)
}

// checkHookInvariants checks what the controller relies on in valid hooks:
// http(s) URLs with a host and no credentials, a timeout within bounds.
func checkHookInvariants(t *testing.T, h Hooks) {
	t.Helper()
	for _, raw := range []string{h.PreRelease, h.PostPromotion, h.PostRollback} {
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			t.Fatalf("hook URL %q is not an http(s) URL with a host and without credentials", raw)
		}
	}
	if h.Timeout < minDuration || h.Timeout > maxHookTimeout || h.Retries < 0 || h.Retries > maxHookRetries {
		t.Fatalf("hook timeout %s and retries %d out of bounds", h.Timeout, h.Retries)
	}
}
