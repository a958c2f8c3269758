package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshcanary/meshcanary/pkg/canary"
	"github.com/meshcanary/meshcanary/pkg/config"
	"github.com/meshcanary/meshcanary/pkg/istio"
	"github.com/meshcanary/meshcanary/pkg/strategy"
	"github.com/meshcanary/meshcanary/pkg/workload"
)

// PlaceholderHash stands for the pod-template-hash of the canary's
// ReplicaSet, which only the cluster knows.
const PlaceholderHash = "<pod-template-hash>"

// Render writes, for each Deployment of m, the DestinationRule and
// VirtualService that package istio computes at step 0 (idle: all traffic
// to the primary) and at each step of the configured release, as YAML
// documents each headed by a "# step i/N: weight X%" comment. The
// VirtualService and DestinationRule of m are patched as the controller
// would patch the live ones; without them, the ones it would create are
// shown. canaryHash is the canary subset's pod-template-hash.
func Render(out io.Writer, m Manifests, canaryHash string) error {
	return RenderAllowing(out, m, canaryHash, nil)
}

// RenderAllowing is Render with the namespaces, besides each Deployment's
// own, where the operator lets meshcanary split VirtualServices
// (--virtualservice-namespaces): every other VirtualService of m that
// routes to the service and may be split (see istio.Discover) is shown at
// each step beside the home one, and each that routes to it without the
// weights is named in a warning.
func RenderAllowing(out io.Writer, m Manifests, canaryHash string, allowed []string) error {
	if len(m.Deployments) == 0 {
		return errors.New("no Deployment (apps/v1) in the files")
	}
	for i, d := range m.Deployments {
		if i > 0 {
			fmt.Fprintln(out, "---")
		}
		if err := renderOne(out, m, d, canaryHash, allowed); err != nil {
			return fmt.Errorf("deployment %s/%s: %w", d.Namespace, d.Name, err)
		}
	}
	return nil
}

func renderOne(out io.Writer, m Manifests, d *appsv1.Deployment, canaryHash string, allowed []string) error {
	spec, problems := canary.Parse(d.Name, d.Annotations)
	if len(problems) > 0 {
		return fmt.Errorf("invalid annotations (meshcanary lint lists them): %w", problems)
	}
	cfg, strat := spec.Config, spec.Strategy
	service, err := serviceOf(m, d, cfg.Service)
	if err != nil {
		return err
	}
	t := istio.Target{Namespace: d.Namespace, Service: service, Deployment: d.Name}
	if cfg.Promotion == config.PromotionSwap {
		t.Slot = config.SlotA // the first release: slot a is the primary, slot b runs the canary
	}
	vs, err := istio.FindVirtualService(m.VirtualServices, t, cfg.VirtualService)
	if err != nil {
		return err
	}
	dr, err := istio.FindDestinationRule(m.DestinationRules, t)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "# deployment %s/%s: service %s, %d steps of %s\n", d.Namespace, d.Name, service, len(cfg.Steps), cfg.StepInterval)
	if t.Slot != "" {
		fmt.Fprintf(out, "# promotion by role swap: primary %s, canary %s (the first release; the next swaps them)\n",
			config.SlotName(d.Name, t.Slot), config.SlotName(d.Name, t.Slot.Other()))
	}
	if skipped := istio.SkippedRoutes(vs, t); len(skipped) > 0 {
		fmt.Fprintf(out, "# warning: routes left unchanged, they send to %s together with other destinations: %s\n",
			service, strings.Join(skipped, ", "))
	}
	home := cfg.VirtualService
	if vs != nil {
		home = vs.Name
	}
	var others []*networkingv1.VirtualService
	for _, r := range istio.Discover(m.VirtualServices, t, istio.Scope{Home: home, Namespaces: allowed, Listed: cfg.VirtualServices, DestinationRule: dr}) {
		if msg := r.Message(service); msg != "" {
			fmt.Fprintf(out, "# warning: %s\n", msg)
			continue
		}
		i := slices.IndexFunc(m.VirtualServices, func(v *networkingv1.VirtualService) bool { return v.Namespace == r.Namespace && v.Name == r.Name })
		others = append(others, m.VirtualServices[i])
	}
	n := len(cfg.Steps)
	for _, st := range stages(n, cfg.MirrorDuration > 0) {
		weight, hash, stage := int32(0), "", strategy.Idle
		if st.step > 0 || st.mirroring {
			hash, stage = canaryHash, strategy.Mirroring
		}
		if st.step > 0 {
			weight, stage = cfg.Steps[st.step-1], strategy.Stepping
		}
		r := istio.Routing{Target: t, Weight: weight, Total: cfg.Total, Gateways: cfg.Gateways, Hosts: cfg.Hosts,
			Shaping: strat.Routes(stage, hash), CanaryReady: stage != strategy.Idle}
		head := fmt.Sprintf("# step %d/%d: weight %s", st.step, n, config.FormatWeight(weight, cfg.Total))
		if st.mirroring {
			head = fmt.Sprintf("# step 0/%d: weight 0%%, mirroring %s to the canary for %s", n,
				config.FormatWeight(strat.Mirror.Share.Weight, strat.Mirror.Share.Total), cfg.MirrorDuration)
		}
		if st.step > 0 || st.mirroring {
			fmt.Fprintln(out, "---")
		}
		if err := document(out, head, istio.DesiredDestinationRule(dr, t, hash)); err != nil {
			return err
		}
		fmt.Fprintln(out, "---")
		if err := document(out, head, istio.DesiredVirtualService(vs, r)); err != nil {
			return err
		}
		for _, other := range others {
			own := r
			own.Hosts, own.Gateways = other.Spec.Hosts, other.Spec.Gateways
			fmt.Fprintln(out, "---")
			if err := document(out, head+", also in "+other.Namespace+"/"+other.Name, istio.DesiredVirtualService(other, own)); err != nil {
				return err
			}
		}
	}
	return nil
}

// stage is one moment of a release that render shows.
type stage struct {
	step      int
	mirroring bool
}

// stages lists the moments of a release of n steps: idle, mirroring (when
// configured), then each step.
func stages(n int, mirror bool) []stage {
	out := []stage{{step: 0}}
	if mirror {
		out = append(out, stage{mirroring: true})
	}
	for i := 1; i <= n; i++ {
		out = append(out, stage{step: i})
	}
	return out
}

// document writes obj as YAML, without its status, under the comment head.
func document(out io.Writer, head string, obj any) error {
	data, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	delete(fields, "status")
	if data, err = yaml.Marshal(fields); err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	_, err = fmt.Fprintf(out, "%s\n%s", head, data)
	return err
}

// serviceOf is the Service to split: the one named by annotation, else the
// only Service of m in d's namespace whose selector matches the pod
// template's labels, as the controller chooses it in the cluster.
func serviceOf(m Manifests, d *appsv1.Deployment, named string) (string, error) {
	if named != "" {
		return named, nil
	}
	matches := workload.SelectingServices(m.Services, d.Namespace, d.Spec.Template.Labels)
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return "", fmt.Errorf("no Service selects the pod template's labels: pass the Service's manifest with -f, or name it in annotation %s%s",
			config.Prefix, config.KeyService)
	}
	return "", fmt.Errorf("several Services select the pods (%s): name one in annotation %s%s",
		strings.Join(matches, ", "), config.Prefix, config.KeyService)
}
