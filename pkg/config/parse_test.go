package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ours prefixes every key with meshcanary.io/.
func ours(kv map[string]string) map[string]string {
	out := make(map[string]string, len(kv))
	for k, v := range kv {
		out[Prefix+k] = v
	}
	return out
}

func TestParseDefaults(t *testing.T) {
	want := Config{
		Service:          "",
		Steps:            []int32{10, 25, 50},
		Total:            100,
		StepInterval:     time.Minute,
		CheckInterval:    30 * time.Second,
		VirtualService:   "",
		Gateways:         nil,
		Hosts:            nil,
		MaxFailedChecks:  2,
		ProgressDeadline: 10 * time.Minute,
		ScaleDownCanary:  true,
		Paused:           false,
		PrimaryName:      "shop-primary",
		CanaryReplicas:   nil,
		MaxHold:          10 * time.Minute,
		ScaleDownDelay:   30 * time.Second,
		Hooks:            Hooks{Timeout: 10 * time.Second, Retries: 3},
		Promotion:        PromotionRollout,
	}
	tests := map[string]map[string]string{
		"a Deployment without annotations gets every default": nil,
		"annotations of other tools and reserved meshcanary keys leave the defaults": {
			"deployment.kubernetes.io/revision":  "3",
			"kubectl.kubernetes.io/restartedAt":  "2025-01-01T00:00:00Z",
			"other.io/steps":                     "nonsense",
			"sub.meshcanary.io/steps":            "nonsense",
			StatusAnnotation:                     `{"phase":"Ready"}`,
			CommandAnnotation:                    "promote/1",
			RoutesForAnnotation:                  "shop",
			RevisionAnnotation:                   "abc",
			Prefix + "gate.error-rate.max":       "1%",
			Prefix + "strategy.kind":             "whatever",
			Prefix + "notify.slack.channel":      "#releases",
			Prefix + "gate.":                     "",
			Prefix + "strategy.anything.at.all.": "x",
		},
	}
	for name, annotations := range tests {
		t.Run(name, func(t *testing.T) {
			got, problems := Parse("shop", annotations)
			if problems != nil {
				t.Fatalf("Parse() problems = %v, want none", problems)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultStepsAreTheParsedDefaultSteps(t *testing.T) {
	steps, total, err := ParseSteps("10,25,50")
	if err != nil {
		t.Fatal(err)
	}
	c := defaults("shop")
	if diff := cmp.Diff([]any{steps, total}, []any{c.Steps, c.Total}); diff != "" {
		t.Errorf("default steps differ from ParseSteps(\"10,25,50\") (-parsed +default):\n%s", diff)
	}
}

func TestParseValid(t *testing.T) {
	three := int32(3)
	tests := map[string]struct {
		annotations map[string]string
		// want changes the defaults into the expected Config.
		want func(c *Config)
	}{
		"a service name is taken as is": {
			map[string]string{"service": "shop-web"},
			func(c *Config) { c.Service = "shop-web" },
		},
		"whole percentages give a total of 100": {
			map[string]string{"steps": "1,5,25,50,100"},
			func(c *Config) { c.Steps, c.Total = []int32{1, 5, 25, 50, 100}, 100 },
		},
		"half a percent gives a total of 1000": {
			map[string]string{"steps": "0.5,1,5,25,50"},
			func(c *Config) { c.Steps, c.Total = []int32{5, 10, 50, 250, 500}, 1000 },
		},
		"0.5 and 0.01 in one list scale to a total of 10000": {
			map[string]string{"steps": "0.01,0.5,1"},
			func(c *Config) { c.Steps, c.Total = []int32{1, 50, 100}, 10000 },
		},
		"spaces around steps are allowed": {
			map[string]string{"steps": " 5 , 10,\t50 "},
			func(c *Config) { c.Steps = []int32{5, 10, 50} },
		},
		"trailing zeros in decimals do not raise the total": {
			map[string]string{"steps": "0.50,1.0,2.00"},
			func(c *Config) { c.Steps, c.Total = []int32{5, 10, 20}, 1000 },
		},
		"a single step of 100 percent is allowed": {
			map[string]string{"steps": "100"},
			func(c *Config) { c.Steps = []int32{100} },
		},
		"a step interval sets the bake time and caps the default check interval": {
			map[string]string{"step-interval": "10s"},
			func(c *Config) { c.StepInterval, c.CheckInterval = 10*time.Second, 10*time.Second },
		},
		"a long step interval keeps the default check interval of 30s": {
			map[string]string{"step-interval": "1h30m"},
			func(c *Config) { c.StepInterval = 90 * time.Minute },
		},
		"a check interval equal to the step interval is allowed": {
			map[string]string{"step-interval": "2m", "check-interval": "2m"},
			func(c *Config) { c.StepInterval, c.CheckInterval = 2*time.Minute, 2*time.Minute },
		},
		"a check interval of one second is allowed": {
			map[string]string{"check-interval": "1s"},
			func(c *Config) { c.CheckInterval = time.Second },
		},
		"a virtual service name may contain dots": {
			map[string]string{"virtual-service": "shop.routes"},
			func(c *Config) { c.VirtualService = "shop.routes" },
		},
		"approval may wait before the first step": {
			map[string]string{"approval": "before-first-step"},
			func(c *Config) { c.Approval = ApprovalBeforeFirstStep },
		},
		"approval may wait before promotion": {
			map[string]string{"approval": " before-promotion "},
			func(c *Config) { c.Approval = ApprovalBeforePromotion },
		},
		"gateways may be mesh, bare or namespaced": {
			map[string]string{"gateways": "mesh, public-gw ,istio-system/ingress.gateway"},
			func(c *Config) { c.Gateways = []string{"mesh", "public-gw", "istio-system/ingress.gateway"} },
		},
		"hosts may be short names, FQDNs or wildcards": {
			map[string]string{"hosts": "shop,shop.example.com, *.example.com"},
			func(c *Config) { c.Hosts = []string{"shop", "shop.example.com", "*.example.com"} },
		},
		"max failed checks accepts 1": {
			map[string]string{"max-failed-checks": "1"},
			func(c *Config) { c.MaxFailedChecks = 1 },
		},
		"max failed checks accepts 100": {
			map[string]string{"max-failed-checks": "100"},
			func(c *Config) { c.MaxFailedChecks = 100 },
		},
		"a progress deadline is a Go duration": {
			map[string]string{"progress-deadline": "15m"},
			func(c *Config) { c.ProgressDeadline = 15 * time.Minute },
		},
		"scale down canary can be turned off": {
			map[string]string{"scale-down-canary": "false"},
			func(c *Config) { c.ScaleDownCanary = false },
		},
		"paused can be turned on": {
			map[string]string{"paused": "true"},
			func(c *Config) { c.Paused = true },
		},
		"paused false is the default spelled out": {
			map[string]string{"paused": "false"},
			func(c *Config) {},
		},
		"a primary name replaces the default": {
			map[string]string{"primary-name": "shop-stable"},
			func(c *Config) { c.PrimaryName = "shop-stable" },
		},
		"canary replicas sets a fixed replica count": {
			map[string]string{"canary-replicas": "3"},
			func(c *Config) { c.CanaryReplicas = &three },
		},
		"max hold is a Go duration": {
			map[string]string{"max-hold": "1s"},
			func(c *Config) { c.MaxHold = time.Second },
		},
		"a scale-down delay of 0s scales down at once": {
			map[string]string{"scale-down-delay": "0s"},
			func(c *Config) { c.ScaleDownDelay = 0 },
		},
		"a scale-down delay may be under a second": {
			map[string]string{"scale-down-delay": "500ms"},
			func(c *Config) { c.ScaleDownDelay = 500 * time.Millisecond },
		},
		"a scale-down delay of one hour is the longest": {
			map[string]string{"scale-down-delay": "1h"},
			func(c *Config) { c.ScaleDownDelay = time.Hour },
		},
		"release hooks are URLs with a timeout and retries": {
			map[string]string{
				"hook-pre-release": "https://load.example.com/start", "hook-post-promotion": "http://hooks.example.com:8080/done",
				"hook-post-rollback": "https://hooks.example.com/rollback?team=shop", "hook-timeout": "30s", "hook-retries": "0",
			},
			func(c *Config) {
				c.Hooks = Hooks{
					PreRelease: "https://load.example.com/start", PostPromotion: "http://hooks.example.com:8080/done",
					PostRollback: "https://hooks.example.com/rollback?team=shop", Timeout: 30 * time.Second,
				}
			},
		},
		"a release may be promoted by role swap": {
			map[string]string{"promotion": "swap"},
			func(c *Config) { c.Promotion = PromotionSwap },
		},
		"surrounding spaces and newlines of a value are ignored": {
			map[string]string{"max-failed-checks": " 5\n", "paused": "true\n"},
			func(c *Config) { c.MaxFailedChecks, c.Paused = 5, true },
		},
		"every key at once": {
			map[string]string{
				"service": "web", "steps": "0.5,50", "step-interval": "5m", "check-interval": "20s",
				"virtual-service": "web-vs", "gateways": "gw", "hosts": "web.example.com",
				"max-failed-checks": "4", "progress-deadline": "20m", "scale-down-canary": "false",
				"paused": "true", "primary-name": "web-main", "canary-replicas": "3", "max-hold": "30m",
				"scale-down-delay": "2m", "hook-post-rollback": "https://h.example.com/rb", "hook-timeout": "5s", "hook-retries": "1",
			},
			func(c *Config) {
				*c = Config{
					Service: "web", Steps: []int32{5, 500}, Total: 1000, StepInterval: 5 * time.Minute,
					CheckInterval: 20 * time.Second, VirtualService: "web-vs", Gateways: []string{"gw"},
					Hosts: []string{"web.example.com"}, MaxFailedChecks: 4, ProgressDeadline: 20 * time.Minute,
					ScaleDownCanary: false, Paused: true, PrimaryName: "web-main", CanaryReplicas: &three,
					MaxHold: 30 * time.Minute, ScaleDownDelay: 2 * time.Minute,
					Hooks:     Hooks{PostRollback: "https://h.example.com/rb", Timeout: 5 * time.Second, Retries: 1},
					Promotion: PromotionRollout,
				}
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			want := defaults("shop")
			want.CheckInterval = 30 * time.Second
			tt.want(&want)
			got, problems := Parse("shop", ours(tt.annotations))
			if problems != nil {
				t.Fatalf("Parse() problems = %v, want none", problems)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
