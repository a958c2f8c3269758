package notify

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// Annotation keys of notifications, without config.Prefix.
const (
	// KeyPrefix starts every notification annotation key.
	KeyPrefix = "notify."
	// KeyReceivers names the receivers a Deployment's milestones go to,
	// comma-separated.
	KeyReceivers = KeyPrefix + "receivers"
)

// Receivers reads which configured receivers a Deployment selects with
// meshcanary.io/notify.receivers (none when absent). Names that are not
// configured and unknown meshcanary.io/notify. keys are problems. Duplicate
// names count once. A nil Notifier has no receivers.
func (n *Notifier) Receivers(annotations map[string]string) ([]string, config.Problems) {
	var problems config.Problems
	for full, v := range annotations {
		if key, ok := strings.CutPrefix(full, config.Prefix); ok && strings.HasPrefix(key, KeyPrefix) && key != KeyReceivers {
			problems = append(problems, config.Problem{Key: full, Value: v,
				Valid: "an unknown notification key; the only one is " + config.Prefix + KeyReceivers})
		}
	}
	raw, ok := annotations[config.Prefix+KeyReceivers]
	if !ok {
		return nil, sorted(problems)
	}
	var names, unknown []string
	for name := range strings.SplitSeq(raw, ",") {
		name = strings.TrimSpace(name)
		switch known := slices.Contains(n.Names(), name); {
		case !known:
			unknown = append(unknown, strconv.Quote(name))
		case !slices.Contains(names, name):
			names = append(names, name)
		}
	}
	if len(unknown) > 0 {
		problems = append(problems, config.Problem{Key: config.Prefix + KeyReceivers, Value: raw, Valid: n.validReceivers(unknown)})
	}
	return names, sorted(problems)
}

// validReceivers says which receivers are configured and that the unknown
// (quoted) names are not.
func (n *Notifier) validReceivers(unknown []string) string {
	if len(n.Names()) == 0 {
		return fmt.Sprintf("nothing: the controller has no notification receivers (flag --notify-receiver), so %s "+
			"cannot be selected; remove the annotation or ask the operator to configure them", strings.Join(unknown, ", "))
	}
	return fmt.Sprintf("comma-separated names of the controller's notification receivers (%s); not %s",
		strings.Join(n.Names(), ", "), strings.Join(unknown, ", "))
}

func sorted(ps config.Problems) config.Problems {
	slices.SortStableFunc(ps, func(a, b config.Problem) int { return strings.Compare(a.Key, b.Key) })
	return ps
}
