package config

import (
	"github.com/meshcanary/meshcanary/internal/golden"

	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// invalidCases are annotation sets with problems, each with the keys (without
// Prefix) that must be reported. Their full problem texts are in
// testdata/problems.golden.
var invalidCases = map[string]struct {
	annotations map[string]string
	keys        []string
}{
	"a service name with capitals is invalid":              {map[string]string{"service": "Shop"}, []string{"service"}},
	"a service name starting with a digit is invalid":      {map[string]string{"service": "1shop"}, []string{"service"}},
	"an empty service is invalid":                          {map[string]string{"service": ""}, []string{"service"}},
	"empty steps are invalid":                              {map[string]string{"steps": ""}, []string{"steps"}},
	"steps of only spaces are invalid":                     {map[string]string{"steps": "  "}, []string{"steps"}},
	"a step in exponent notation is invalid":               {map[string]string{"steps": "1e2"}, []string{"steps"}},
	"a step with three decimals is invalid":                {map[string]string{"steps": "0.001"}, []string{"steps"}},
	"a negative step is invalid":                           {map[string]string{"steps": "-5"}, []string{"steps"}},
	"a word as a step is invalid":                          {map[string]string{"steps": "abc"}, []string{"steps"}},
	"a repeated step is invalid":                           {map[string]string{"steps": "5,5"}, []string{"steps"}},
	"decreasing steps are invalid":                         {map[string]string{"steps": "50,25"}, []string{"steps"}},
	"equal steps written differently are invalid":          {map[string]string{"steps": "0.5,0.50"}, []string{"steps"}},
	"a zero step is invalid":                               {map[string]string{"steps": "0,5"}, []string{"steps"}},
	"a step over 100 is invalid":                           {map[string]string{"steps": "50,100.01"}, []string{"steps"}},
	"a huge step is invalid":                               {map[string]string{"steps": "99999999999999999999"}, []string{"steps"}},
	"a trailing comma is invalid":                          {map[string]string{"steps": "5,10,"}, []string{"steps"}},
	"a step without a leading digit is invalid":            {map[string]string{"steps": ".5"}, []string{"steps"}},
	"a step ending in a point is invalid":                  {map[string]string{"steps": "5."}, []string{"steps"}},
	"a percent sign is invalid":                            {map[string]string{"steps": "5%"}, []string{"steps"}},
	"a plus sign is invalid":                               {map[string]string{"steps": "+5"}, []string{"steps"}},
	"51 steps are too many":                                {map[string]string{"steps": countTo(51)}, []string{"steps"}},
	"a step interval without a unit is invalid":            {map[string]string{"step-interval": "60"}, []string{"step-interval"}},
	"a step interval under a second is invalid":            {map[string]string{"step-interval": "999ms"}, []string{"step-interval"}},
	"a negative check interval is invalid":                 {map[string]string{"check-interval": "-1m"}, []string{"check-interval"}},
	"a check interval longer than the step is invalid":     {map[string]string{"step-interval": "1m", "check-interval": "2m"}, []string{"check-interval"}},
	"a check interval longer than the default is invalid":  {map[string]string{"check-interval": "90s"}, []string{"check-interval"}},
	"a virtual service with an underscore is invalid":      {map[string]string{"virtual-service": "shop_vs"}, []string{"virtual-service"}},
	"a listed virtual service with two slashes is invalid": {map[string]string{"virtual-services": "web,istio-system/a/b"}, []string{"virtual-services"}},
	"a virtual service listed twice is invalid":            {map[string]string{"virtual-services": "web,web"}, []string{"virtual-services"}},
	"an approval point with a capital is invalid":          {map[string]string{"approval": "Before-Promotion"}, []string{"approval"}},
	"an approval of true is invalid":                       {map[string]string{"approval": "true"}, []string{"approval"}},
	"a gateway with two slashes is invalid":                {map[string]string{"gateways": "mesh,a/b/c"}, []string{"gateways"}},
	"an empty gateway entry is invalid":                    {map[string]string{"gateways": "mesh,"}, []string{"gateways"}},
	"a gateway namespace with dots is invalid":             {map[string]string{"gateways": "istio.system/gw"}, []string{"gateways"}},
	"a bare star host is invalid":                          {map[string]string{"hosts": "*"}, []string{"hosts"}},
	"a star inside a host is invalid":                      {map[string]string{"hosts": "shop.*.com"}, []string{"hosts"}},
	"a host with a port is invalid":                        {map[string]string{"hosts": "shop:80"}, []string{"hosts"}},
	"zero max failed checks is invalid":                    {map[string]string{"max-failed-checks": "0"}, []string{"max-failed-checks"}},
	"101 max failed checks is invalid":                     {map[string]string{"max-failed-checks": "101"}, []string{"max-failed-checks"}},
	"a fractional max failed checks is invalid":            {map[string]string{"max-failed-checks": "1.5"}, []string{"max-failed-checks"}},
	"a progress deadline of zero is invalid":               {map[string]string{"progress-deadline": "0"}, []string{"progress-deadline"}},
	"yes is not a bool":                                    {map[string]string{"scale-down-canary": "yes"}, []string{"scale-down-canary"}},
	"True with a capital is not a bool":                    {map[string]string{"paused": "True"}, []string{"paused"}},
	"1 is not a bool":                                      {map[string]string{"paused": "1"}, []string{"paused"}},
	"a primary name equal to the deployment is invalid":    {map[string]string{"primary-name": "shop"}, []string{"primary-name"}},
	"a primary name with dots is invalid":                  {map[string]string{"primary-name": "shop.primary"}, []string{"primary-name"}},
	"zero canary replicas is invalid":                      {map[string]string{"canary-replicas": "0"}, []string{"canary-replicas"}},
	"10001 canary replicas is invalid":                     {map[string]string{"canary-replicas": "10001"}, []string{"canary-replicas"}},
	"a max hold under a second is invalid":                 {map[string]string{"max-hold": "500ms"}, []string{"max-hold"}},
	"a negative scale-down delay is invalid":               {map[string]string{"scale-down-delay": "-1s"}, []string{"scale-down-delay"}},
	"a scale-down delay over an hour is invalid":           {map[string]string{"scale-down-delay": "61m"}, []string{"scale-down-delay"}},
	"a scale-down delay without a unit is invalid":         {map[string]string{"scale-down-delay": "30"}, []string{"scale-down-delay"}},
	"a hook URL without a scheme is invalid":               {map[string]string{"hook-pre-release": "hooks.example.com/x"}, []string{"hook-pre-release"}},
	"a hook URL with user information is invalid":          {map[string]string{"hook-post-promotion": "https://u:p@h.example.com/"}, []string{"hook-post-promotion"}},
	"a hook URL of another scheme is invalid":              {map[string]string{"hook-post-rollback": "ftp://h.example.com/"}, []string{"hook-post-rollback"}},
	"a hook timeout over 30s is invalid":                   {map[string]string{"hook-timeout": "31s"}, []string{"hook-timeout"}},
	"eleven hook retries are invalid":                      {map[string]string{"hook-retries": "11"}, []string{"hook-retries"}},
	"a typo of steps is an unknown key with a suggestion":  {map[string]string{"step": "5,10"}, []string{"step"}},
	"an unrelated unknown key gets no suggestion":          {map[string]string{"colour": "blue"}, []string{"colour"}},
	"a key in capitals is unknown":                         {map[string]string{"Steps": "5"}, []string{"Steps"}},
	"a gates key without its dot is unknown":               {map[string]string{"gates": "x"}, []string{"gates"}},
	"every problem is reported, not only the first":        {map[string]string{"steps": "5,5", "paused": "yes", "stpes": "1", "max-hold": "1"}, []string{"max-hold", "paused", "steps", "stpes"}},
	"a check interval is not compared with a broken step":  {map[string]string{"step-interval": "soon", "check-interval": "5m"}, []string{"step-interval"}},
	"a broken check interval is not compared with a step":  {map[string]string{"step-interval": "10s", "check-interval": "soon"}, []string{"check-interval"}},
	"an invalid primary name is reported once":             {map[string]string{"primary-name": "Shop"}, []string{"primary-name"}},
	"an invalid value next to valid ones reports only it":  {map[string]string{"steps": "1,2", "paused": "true", "max-failed-checks": "x"}, []string{"max-failed-checks"}},
}

// countTo returns "1,2,...,n".
func countTo(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(i + 1)
	}
	return strings.Join(s, ",")
}

func TestParseInvalid(t *testing.T) {
	for name, tt := range invalidCases {
		t.Run(name, func(t *testing.T) {
			annotations := ours(tt.annotations)
			_, problems := Parse("shop", annotations)
			var keys []string
			for _, p := range problems {
				keys = append(keys, strings.TrimPrefix(p.Key, Prefix))
				if want := annotations[p.Key]; p.Value != want {
					t.Errorf("problem %s has value %q, want the annotation's %q", p.Key, p.Value, want)
				}
				if p.Valid == "" {
					t.Errorf("problem %s does not say what is valid", p.Key)
				}
			}
			if diff := cmp.Diff(tt.keys, keys); diff != "" {
				t.Errorf("problem keys mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseProblemsGolden(t *testing.T) {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(invalidCases)) {
		_, problems := Parse("shop", ours(invalidCases[name].annotations))
		fmt.Fprintf(&b, "# %s\n", name)
		for _, p := range problems {
			fmt.Fprintf(&b, "%s\n", p.Error())
		}
		b.WriteString("\n")
	}
	golden.Check(t, "problems.golden", b.String())
}

func TestParseProblemText(t *testing.T) {
	tests := map[string]struct {
		annotations map[string]string
		want        Problems
	}{
		"steps name the offending step and say what is valid": {
			map[string]string{"steps": "0.5, 0.001"},
			Problems{{
				Key:   "meshcanary.io/steps",
				Value: "0.5, 0.001",
				Valid: `1 to 50 comma-separated percentages, each > 0 and <= 100 with at most 2 decimals, ` +
					`strictly increasing, e.g. "0.5,1,5,25,50" (step 2 (0.001) has more than 2 decimals)`,
			}},
		},
		"the value is reported as written, spaces included": {
			map[string]string{"max-failed-checks": " 0 "},
			Problems{{Key: "meshcanary.io/max-failed-checks", Value: " 0 ", Valid: "an integer from 1 to 100"}},
		},
		"a check interval names the step interval it exceeds": {
			map[string]string{"step-interval": "20s", "check-interval": "30s"},
			Problems{{
				Key:   "meshcanary.io/check-interval",
				Value: "30s",
				Valid: "a Go duration of at least 1s and at most the step interval (20s)",
			}},
		},
		"a typo suggests the key it resembles": {
			map[string]string{"step": "5"},
			Problems{{
				Key:   "meshcanary.io/step",
				Value: "5",
				Valid: "an unknown key; did you mean meshcanary.io/steps? valid keys are meshcanary.io/ followed by one of " +
					"service, steps, step-interval, check-interval, virtual-service, virtual-services, gateways, hosts, max-failed-checks, " +
					"progress-deadline, scale-down-canary, paused, primary-name, canary-replicas, max-hold, approval, scale-down-delay, promotion, " +
					"hook-pre-release, hook-post-promotion, hook-post-rollback, hook-timeout, hook-retries, " +
					"or by a key starting with gate., strategy., notify.",
			}},
		},
		"a promotion names the valid ones": {
			map[string]string{"promotion": "blue-green"},
			Problems{{Key: "meshcanary.io/promotion", Value: "blue-green", Valid: `"rollout" (the default) or "swap"`}},
		},
		"a swap promotion refuses the keys it has no use for": {
			map[string]string{"promotion": "swap", "canary-replicas": "1"},
			Problems{{Key: "meshcanary.io/canary-replicas", Value: "1", Valid: "unset with meshcanary.io/promotion: swap (the slots are named after the Deployment, and the canary's slot runs the primary's count so that it can take its place)"}},
		},
		"an approval point names the valid ones": {
			map[string]string{"approval": "manual"},
			Problems{{Key: "meshcanary.io/approval", Value: "manual", Valid: `"before-first-step" or "before-promotion"`}},
		},
		"bools accept only true and false": {
			map[string]string{"paused": "yes"},
			Problems{{Key: "meshcanary.io/paused", Value: "yes", Valid: `"true" or "false"`}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, got := Parse("shop", ours(tt.annotations))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse() problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProblemsError(t *testing.T) {
	ps := Problems{
		{Key: "meshcanary.io/paused", Value: "yes", Valid: `"true" or "false"`},
		{Key: "meshcanary.io/max-failed-checks", Value: "0", Valid: "an integer from 1 to 100"},
	}
	want := `annotation meshcanary.io/paused="yes": "true" or "false"; ` +
		`annotation meshcanary.io/max-failed-checks="0": an integer from 1 to 100`
	if got := ps.Error(); got != want {
		t.Errorf("Problems.Error() = %q, want %q", got, want)
	}
}
