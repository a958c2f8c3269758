package gates

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/gates/promql"
)

// GatePrefix starts every gate annotation key.
const GatePrefix = config.Prefix + "gate."

// Gate annotation keys, without GatePrefix. Any other key under GatePrefix
// names a query gate; keys under KeyWebhook+"." name webhooks.
const (
	KeyErrorRate   = "error-rate"
	KeyLatency     = "latency"
	KeyCPU         = "cpu"
	KeyMemory      = "memory"
	KeyMinRequests = "min-requests"
	KeyConfidence  = "confidence"
	KeyWebhook     = "webhook"
)

// Defaults of the gate settings.
const (
	DefaultMinRequests = 10
	DefaultConfidence  = 0.99
)

// gateName is what may follow GatePrefix (or the webhook prefix) as a
// gate's own name: a DNS label.
var gateName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// settings are the values shared by every gate of a Deployment.
type settings struct {
	minRequests float64
	alpha       float64
	beta        float64
}

// Parse reads the meshcanary.io/gate.* annotations into gate specs, sorted
// by name. Every invalid annotation is a Problem, reported at once; the
// specs of the valid ones are still returned. A query template that does
// not parse is a Problem. Whether a webhook URL is allowed depends on the
// controller's flags: see [Evaluator.Check].
func Parse(annotations map[string]string) (Specs, config.Problems) {
	var probs config.Problems
	set := parseSettings(annotations, &probs)
	var specs Specs
	for _, key := range sortedGateKeys(annotations) {
		name, value := strings.TrimPrefix(key, GatePrefix), strings.TrimSpace(annotations[key])
		got, valid := parseGate(name, value, set)
		if valid != "" {
			probs = append(probs, config.Problem{Key: key, Value: annotations[key], Valid: valid})
			continue
		}
		for i := range got {
			got[i].Key, got[i].Value = key, annotations[key]
		}
		specs = append(specs, got...)
	}
	slices.SortFunc(specs, func(a, b Spec) int { return strings.Compare(a.Name, b.Name) })
	return specs, probs
}

func sortedGateKeys(annotations map[string]string) []string {
	var keys []string
	for k := range annotations {
		if name, ok := strings.CutPrefix(k, GatePrefix); ok && name != KeyMinRequests && name != KeyConfidence {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

func parseSettings(annotations map[string]string, probs *config.Problems) settings {
	set := settings{minRequests: DefaultMinRequests, alpha: 1 - DefaultConfidence, beta: 1 - DefaultPower}
	if v, ok := annotations[GatePrefix+KeyMinRequests]; ok {
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 31)
		if err != nil {
			*probs = append(*probs, config.Problem{Key: GatePrefix + KeyMinRequests, Value: v,
				Valid: fmt.Sprintf("a whole number of requests, for example %q (default %d)", "100", DefaultMinRequests)})
		} else {
			set.minRequests = float64(n)
		}
	}
	if v, ok := annotations[GatePrefix+KeyConfidence]; ok {
		c, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(c >= 0.5 && c < 1) {
			*probs = append(*probs, config.Problem{Key: GatePrefix + KeyConfidence, Value: v,
				Valid: fmt.Sprintf("a probability in [0.5, 1), for example %q (default %v)", "0.99", DefaultConfidence)})
		} else {
			set.alpha = 1 - c
		}
	}
	return set
}

// parseGate parses one gate annotation; valid is "" when it is valid and
// otherwise says what would be.
func parseGate(name, value string, set settings) (specs Specs, valid string) {
	switch name {
	case KeyErrorRate:
		return parseErrorRate(value, set)
	case KeyLatency:
		return parseLatency(value, set)
	case KeyCPU:
		return parseResource(KindCPU, value)
	case KeyMemory:
		return parseResource(KindMemory, value)
	}
	if hook, ok := strings.CutPrefix(name, KeyWebhook+"."); ok {
		return parseWebhook(hook, value)
	}
	if !gateName.MatchString(name) {
		return nil, fmt.Sprintf("a gate name: one of %s, %s, %s, %s, %s, %s, %s.<name>, or a lower-case DNS label naming a query gate",
			KeyErrorRate, KeyLatency, KeyCPU, KeyMemory, KeyMinRequests, KeyConfidence, KeyWebhook)
	}
	c, err := promql.ParseCondition(value)
	if err != nil {
		return nil, fmt.Sprintf(`a query gate "<PromQL template> <op> <number>", for example "sum(rate(http_errors_total{namespace={{namespace}}, pod=~{{canary_pods}}}[{{window}}])) < 1": %v`, err)
	}
	return Specs{{Name: name, Kind: KindQuery, Condition: c}}, ""
}

func parseWebhook(name, value string) (Specs, string) {
	if !gateName.MatchString(name) {
		return nil, "a webhook key meshcanary.io/gate.webhook.<name> with a lower-case DNS label as name"
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, "an absolute http(s) URL without credentials or fragment, for example \"https://approvals.example.com/meshcanary\""
	}
	return Specs{{Name: KeyWebhook + "." + name, Kind: KindWebhook, URL: value}}, ""
}
