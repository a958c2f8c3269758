package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Defaults of the configuration annotations, so that the label alone works.
const (
	defaultStepInterval     = time.Minute
	defaultMaxCheckInterval = 30 * time.Second
	defaultMaxFailedChecks  = 2
	defaultProgressDeadline = 10 * time.Minute
	defaultMaxHold          = 10 * time.Minute
	// defaultScaleDownDelay is Argo Rollouts' default scaleDownDelaySeconds,
	// long enough for istiod to push a route change to every proxy.
	defaultScaleDownDelay = 30 * time.Second
	// primarySuffix makes the default primary name "<name>-primary".
	primarySuffix = "-primary"
)

// Parse reads the configuration of the Deployment name from its annotations.
//
// It returns every problem found, not just the first, ordered by key. On
// problems the Config must not be used for traffic; its fields whose
// annotations were invalid hold their defaults.
//
// An annotation that is absent takes its default; one that is present must be
// valid (surrounding spaces are ignored). Unknown meshcanary.io/ keys are
// problems too, except the keys other packages own: status, command,
// routes-for, revision and every key starting with "gate.", "strategy." or
// "notify.".
func Parse(name string, annotations map[string]string) (Config, Problems) {
	c := defaults(name)
	var problems Problems
	for _, f := range fields {
		v, ok := annotations[Prefix+f.key]
		if !ok {
			continue
		}
		if err := f.set(&c, strings.TrimSpace(v)); err != nil {
			problems = append(problems, Problem{Key: Prefix + f.key, Value: v, Valid: err.Error()})
		}
	}
	problems = append(problems, unknownKeys(annotations)...)
	problems = append(problems, crossCheck(name, annotations, &c, problems)...)
	slices.SortStableFunc(problems, func(a, b Problem) int { return strings.Compare(a.Key, b.Key) })
	return c, problems
}

// defaults is the configuration of the Deployment name without annotations.
// CheckInterval is left zero: it defaults to min(30s, StepInterval) once the
// step interval is known.
func defaults(name string) Config {
	return Config{
		Steps:            []int32{10, 25, 50},
		Total:            100,
		StepInterval:     defaultStepInterval,
		MaxFailedChecks:  defaultMaxFailedChecks,
		ProgressDeadline: defaultProgressDeadline,
		ScaleDownCanary:  true,
		PrimaryName:      name + primarySuffix,
		MaxHold:          defaultMaxHold,
		ScaleDownDelay:   defaultScaleDownDelay,
		Hooks:            Hooks{Timeout: defaultHookTimeout, Retries: defaultHookRetries},
		Promotion:        PromotionRollout,
	}
}

// field parses the annotation Prefix+key into a Config.
type field struct {
	key string
	// set parses the trimmed value into c; its error says what is valid.
	set func(c *Config, v string) error
}

// fields are the configuration annotations in the order they are parsed.
var fields = []field{
	{KeyService, into(parseServiceName, func(c *Config) *string { return &c.Service })},
	{KeySteps, setSteps},
	{KeyStepInterval, into(ParseDuration, func(c *Config) *time.Duration { return &c.StepInterval })},
	{KeyCheckInterval, into(ParseDuration, func(c *Config) *time.Duration { return &c.CheckInterval })},
	{KeyVirtualService, into(parseObjectName, func(c *Config) *string { return &c.VirtualService })},
	{KeyVirtualServices, into(parseVirtualServices, func(c *Config) *[]VirtualServiceRef { return &c.VirtualServices })},
	{KeyGateways, into(parseGateways, func(c *Config) *[]string { return &c.Gateways })},
	{KeyHosts, into(parseHosts, func(c *Config) *[]string { return &c.Hosts })},
	{KeyMaxFailedChecks, into(intIn(1, 100), func(c *Config) *int { return &c.MaxFailedChecks })},
	{KeyProgressDeadline, into(ParseDuration, func(c *Config) *time.Duration { return &c.ProgressDeadline })},
	{KeyScaleDownCanary, into(ParseBool, func(c *Config) *bool { return &c.ScaleDownCanary })},
	{KeyPaused, into(ParseBool, func(c *Config) *bool { return &c.Paused })},
	{KeyPrimaryName, into(parsePrimaryName, func(c *Config) *string { return &c.PrimaryName })},
	{KeyCanaryReplicas, setCanaryReplicas},
	{KeyMaxHold, into(ParseDuration, func(c *Config) *time.Duration { return &c.MaxHold })},
	{KeyApproval, into(parseApproval, func(c *Config) *Approval { return &c.Approval })},
	{KeyScaleDownDelay, into(parseScaleDownDelay, func(c *Config) *time.Duration { return &c.ScaleDownDelay })},
	{KeyPromotion, into(parsePromotion, func(c *Config) *Promotion { return &c.Promotion })},
	{KeyHookPreRelease, into(parseHookURL, func(c *Config) *string { return &c.Hooks.PreRelease })},
	{KeyHookPostPromotion, into(parseHookURL, func(c *Config) *string { return &c.Hooks.PostPromotion })},
	{KeyHookPostRollback, into(parseHookURL, func(c *Config) *string { return &c.Hooks.PostRollback })},
	{KeyHookTimeout, into(parseHookTimeout, func(c *Config) *time.Duration { return &c.Hooks.Timeout })},
	{KeyHookRetries, into(intIn(0, maxHookRetries), func(c *Config) *int { return &c.Hooks.Retries })},
}

// into makes a field setter from a parser and the Config field it fills.
func into[T any](parse func(string) (T, error), dst func(*Config) *T) func(*Config, string) error {
	return func(c *Config, v string) error {
		t, err := parse(v)
		if err != nil {
			return err
		}
		*dst(c) = t
		return nil
	}
}

// intIn is parseInt with its range bound.
func intIn(lo, hi int) func(string) (int, error) {
	return func(v string) (int, error) { return parseInt(v, lo, hi) }
}

// setSteps parses meshcanary.io/steps into Steps and Total.
func setSteps(c *Config, v string) error {
	steps, total, err := ParseSteps(v)
	if err != nil {
		return fmt.Errorf("%s (%w)", validSteps, err)
	}
	c.Steps, c.Total = steps, total
	return nil
}

// setCanaryReplicas parses meshcanary.io/canary-replicas.
func setCanaryReplicas(c *Config, v string) error {
	n, err := parseInt(v, 1, 10000)
	if err != nil {
		return err
	}
	replicas := int32(n)
	c.CanaryReplicas = &replicas
	return nil
}

// crossCheck validates the annotations that depend on each other, skipping
// any whose own value already has a problem, and fills in the default check
// interval.
func crossCheck(name string, annotations map[string]string, c *Config, found Problems) Problems {
	failed := func(key string) bool {
		return slices.ContainsFunc(found, func(p Problem) bool { return p.Key == Prefix+key })
	}
	var problems Problems
	check, set := annotations[Prefix+KeyCheckInterval]
	switch {
	case !set || failed(KeyCheckInterval):
		c.CheckInterval = min(defaultMaxCheckInterval, c.StepInterval)
	case c.CheckInterval > c.StepInterval && !failed(KeyStepInterval):
		problems = append(problems, Problem{
			Key:   Prefix + KeyCheckInterval,
			Value: check,
			Valid: fmt.Sprintf("a Go duration of at least 1s and at most the step interval (%s)", c.StepInterval),
		})
	}
	if primary, set := annotations[Prefix+KeyPrimaryName]; set && c.PrimaryName == name {
		problems = append(problems, Problem{Key: Prefix + KeyPrimaryName, Value: primary, Valid: validPrimaryName})
	}
	if c.Promotion == PromotionSwap {
		for _, key := range []string{KeyPrimaryName, KeyCanaryReplicas} {
			if v, set := annotations[Prefix+key]; set && !failed(key) {
				problems = append(problems, Problem{Key: Prefix + key, Value: v, Valid: fmt.Sprintf(
					"unset with %s%s: %s (the slots are named after the Deployment, and the canary's slot runs the primary's count so that it can take its place)",
					Prefix, KeyPromotion, PromotionSwap)})
			}
		}
	}
	return problems
}
