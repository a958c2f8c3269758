package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshcanary/meshcanary/pkg/config"
)

// StatusOptions says which canaries meshcanary status shows and how.
type StatusOptions struct {
	// Namespace to list; ignored with AllNamespaces.
	Namespace     string
	AllNamespaces bool
	// Name, when set, shows that Deployment only; it must be opted in.
	Name string
	// Watch keeps printing, one row or document per change, until ctx ends.
	Watch bool
	// Output is one of Outputs.
	Output string
	// Now is the clock of the AGE column.
	Now func() time.Time
}

// Status prints the release status of the opted-in Deployments to out; a
// "No canaries found" note goes to errOut, as kubectl does, and so do the
// configuration problems of canaries without a status.
func Status(ctx context.Context, cl Clients, out, errOut io.Writer, o StatusOptions) error {
	p, err := newPrinter(o.Output, out, o.AllNamespaces, o.Now)
	if err != nil {
		return err
	}
	ns := o.Namespace
	if o.AllNamespaces {
		ns = metav1.NamespaceAll
	}
	cs, err := listCanaries(ctx, cl, ns, o.Name)
	if err != nil {
		return err
	}
	if len(cs) == 0 && o.Output == OutputTable {
		fmt.Fprintln(errOut, noCanaries(ns))
	}
	if err := p.listing(cs, o.Name != ""); err != nil {
		return err
	}
	if o.Output == OutputTable {
		for _, c := range cs {
			warnInvalid(errOut, c)
		}
	}
	if !o.Watch {
		return nil
	}
	return follow(ctx, cl, ns, o.Name, cs, p)
}

// warnInvalid tells of the configuration problems of a canary without a
// status, which the table has no room for.
func warnInvalid(errOut io.Writer, c Canary) {
	if c.ConfigError != "" {
		fmt.Fprintf(errOut, "deployment %s/%s: invalid configuration, nothing is released: %s\n", c.Namespace, c.Name, c.ConfigError)
	}
}

func noCanaries(ns string) string {
	if ns == metav1.NamespaceAll {
		return "No canaries found."
	}
	return fmt.Sprintf("No canaries found in namespace %s.", ns)
}

// listCanaries returns the opted-in Deployments of ns (all namespaces when
// ""), or the one called name, sorted by namespace and name, with their
// status read from the VirtualServices of ns.
func listCanaries(ctx context.Context, cl Clients, ns, name string) ([]Canary, error) {
	deployments := cl.Kube.AppsV1().Deployments(ns)
	var items []appsv1.Deployment
	if name != "" {
		d, err := deployments.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("deployment %s/%s not found", ns, name)
		}
		if err != nil {
			return nil, fmt.Errorf("getting deployment %s/%s: %w", ns, name, err)
		}
		if !optedIn(d) {
			return nil, fmt.Errorf("deployment %s/%s is not a canary: it lacks the label %s=%s", ns, name, config.EnabledLabel, config.EnabledValue)
		}
		items = []appsv1.Deployment{*d}
	} else {
		list, err := deployments.List(ctx, metav1.ListOptions{LabelSelector: enabledSelector})
		if err != nil {
			return nil, fmt.Errorf("listing deployments labelled %s: %w", enabledSelector, err)
		}
		items = list.Items
	}
	vss, err := listVirtualServices(ctx, cl, ns)
	if err != nil {
		return nil, err
	}
	slots, err := listSlots(ctx, cl, ns, name)
	if err != nil {
		return nil, err
	}
	cs := make([]Canary, 0, len(items))
	for i := range items {
		if optedIn(&items[i]) {
			cs = append(cs, CanaryOf(&items[i], vss, slots))
		}
	}
	slices.SortFunc(cs, func(a, b Canary) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return cs, nil
}

// listVirtualServices returns the VirtualServices of ns.
func listVirtualServices(ctx context.Context, cl Clients, ns string) ([]*networkingv1.VirtualService, error) {
	list, err := cl.Istio.NetworkingV1().VirtualServices(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing virtualservices: %w", err)
	}
	vss := make([]*networkingv1.VirtualService, len(list.Items))
	copy(vss, list.Items)
	return vss, nil
}

// listSlots returns the Deployments meshcanary manages in ns (all
// namespaces when ""): those of the Deployment called name, or of every
// Deployment when name is "". The canary's slot of a Deployment promoted
// by role swap is among them (see StatusOf).
func listSlots(ctx context.Context, cl Clients, ns, name string) ([]*appsv1.Deployment, error) {
	list, err := cl.Kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{LabelSelector: managedSelector(name)})
	if err != nil {
		return nil, fmt.Errorf("listing deployments labelled %s: %w", managedSelector(name), err)
	}
	slots := make([]*appsv1.Deployment, len(list.Items))
	for i := range list.Items {
		slots[i] = &list.Items[i]
	}
	return slots, nil
}

// enabledSelector selects the opted-in Deployments.
var enabledSelector = config.EnabledLabel + "=" + config.EnabledValue

// managedSelector selects the Deployments meshcanary manages for the
// Deployment called name (the primary, or both slots), or for every
// Deployment when name is "".
func managedSelector(name string) string {
	if name == "" {
		return config.PrimaryOfLabel
	}
	return config.PrimaryOfLabel + "=" + name
}

// follow prints each canary whose status changes until ctx ends. printed
// are the canaries already shown.
func follow(ctx context.Context, cl Clients, ns, name string, printed []Canary, p *printer) error {
	last := map[string]string{}
	for _, c := range printed {
		last[c.Namespace+"/"+c.Name] = fingerprint(c)
	}
	err := watchCanaries(ctx, cl, ns, name, func(c Canary, _ *appsv1.Deployment, gone bool) (bool, error) {
		key := c.Namespace + "/" + c.Name
		if gone {
			delete(last, key)
			return false, nil
		}
		if f := fingerprint(c); f != last[key] {
			last[key] = f
			return false, p.update(c)
		}
		return false, nil
	})
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		return nil
	}
	return fmt.Errorf("following deployments: %w", err)
}

// fingerprint identifies what status shows of c.
func fingerprint(c Canary) string {
	data, _ := json.Marshal(c) // Canary holds plain values only.
	return string(data)
}
